//! The transform passes, one per file, each a free function over walrus IR.
//!
//! Order (see [`crate::pipeline`]): [`runtime_api`] adds the ABI, then per instrumented
//! function [`flow`], [`coalesce`] (with `-O`) and [`frame`], then [`cleanup`] with `-O`, and
//! [`split`] with `-O3`.

pub mod asserts;
pub mod cleanup;
pub mod coalesce;
pub mod flow;
pub mod frame;
pub mod ref_stack;
pub mod runtime_api;
pub mod split;
