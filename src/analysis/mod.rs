//! Analyses: each builds plain data that passes read and never recompute.

pub mod call_graph;
pub mod can_pause;
pub mod liveness;
pub mod stack_types;
