//! Analyses: each builds plain data that passes read and never recompute.

pub mod bitset;
pub mod call_graph;
pub mod can_pause;
pub mod indirect;
pub mod liveness;
pub mod prescan;
pub mod save_groups;
pub mod stack_bound;
pub mod stack_types;
