//! Where every walrus id lands in the output module's index spaces.
//!
//! walrus hands out ids; the binary format wants indices. Walrus's own emitter picks new
//! indices (it sorts functions by size and re-numbers types), which would break every
//! symbol map and stack trace that names functions by index. We keep the original indices
//! instead: ids that came from the input keep their input index (shifted down only when an
//! `asyncify.*` import before them is removed), and everything we add goes at the end of
//! its index space, as Binaryen does.

use crate::ir::{IdMap, IdSet};
use walrus::{DataId, ElementId, FunctionId, GlobalId, MemoryId, TableId, TagId, TypeId};

/// Marks an id with no index in the output (for example a removed import).
const NONE: u32 = u32::MAX;

/// Maps one kind of walrus id to output indices.
#[derive(Clone, Debug, Default)]
pub struct IndexSpace {
    by_id: Vec<u32>,
    len: u32,
}

impl IndexSpace {
    /// Give `id` the next index of this space.
    pub fn push(&mut self, id_index: usize) -> u32 {
        let index = self.len;
        self.set(id_index, index);
        self.len += 1;
        index
    }

    /// Record that `id` has no index (it does not exist in the output).
    pub fn skip(&mut self, id_index: usize) {
        self.set(id_index, NONE);
    }

    /// Record that `id` shares the index of another entry (used for removed imports that
    /// are redirected to a generated function).
    pub fn alias(&mut self, id_index: usize, index: u32) {
        self.set(id_index, index);
    }

    fn set(&mut self, id_index: usize, index: u32) {
        if self.by_id.len() <= id_index {
            self.by_id.resize(id_index + 1, NONE);
        }
        self.by_id[id_index] = index;
    }

    /// The output index of `id`, if it has one.
    pub fn get(&self, id_index: usize) -> Option<u32> {
        self.by_id.get(id_index).copied().filter(|&i| i != NONE)
    }

    /// Number of entries in this index space.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the space has no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Output indices for every kind of id a function body can mention.
///
/// Types are special: a body can need a type the input does not have (a multi-value block
/// type, say). [`Indices::ty`] appends such types on first use; [`Indices::new_types`] lists
/// them so the type section can be extended before the code is written.
#[derive(Clone, Debug, Default)]
pub struct Indices {
    /// Functions: imports first, then defined functions, then generated ones.
    pub funcs: IndexSpace,
    /// Globals.
    pub globals: IndexSpace,
    /// Tables.
    pub tables: IndexSpace,
    /// Memories.
    pub memories: IndexSpace,
    /// Data segments.
    pub data: IndexSpace,
    /// Element segments.
    pub elems: IndexSpace,
    /// Exception tags.
    pub tags: IndexSpace,
    types: IdMap<TypeId, u32>,
    /// For walrus type ids the input declares as a plain type: that type's index.
    plain: IdMap<TypeId, u32>,
    /// Type ids walrus gave to several distinct input types (the same signature inside and
    /// outside an explicit rec group): code mentioning them cannot be re-encoded faithfully.
    ambiguous: IdSet<TypeId>,
    /// Ambiguous ids that code being encoded asked for.
    ambiguous_used: Vec<TypeId>,
    original_type_count: u32,
    new_types: Vec<TypeId>,
}

impl Indices {
    /// Record the input's type section: `types[i]` is the walrus id of type `i`. walrus merges
    /// identical singleton types, so several indices can share an id; the first wins.
    /// `plain[i]` tells whether type `i` is a plain type (alone in an implicit rec group).
    pub fn set_original_types(&mut self, types: &[TypeId], plain: &[bool]) {
        for (i, &id) in types.iter().enumerate() {
            let is_plain = plain.get(i).copied().unwrap_or(false);
            match self.types.entry(id) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(i as u32);
                }
                std::collections::hash_map::Entry::Occupied(first) => {
                    // Two plain types with the same signature are the same type; anything
                    // else walrus merged is not.
                    let first_plain = plain.get(*first.get() as usize).copied().unwrap_or(false);
                    if !(is_plain && first_plain) {
                        self.ambiguous.insert(id);
                    }
                }
            }
            if is_plain {
                self.plain.entry(id).or_insert(i as u32);
            }
        }
        self.original_type_count = types.len() as u32;
    }

    /// Note that code being encoded asked for the ambiguous type ids `used`.
    pub fn note_ambiguous_used(&mut self, used: &[TypeId]) {
        self.ambiguous_used.extend_from_slice(used);
    }

    /// Ambiguous type ids asked for by [`Indices::ty`] since the last call, drained.
    pub fn take_ambiguous_used(&mut self) -> Vec<TypeId> {
        std::mem::take(&mut self.ambiguous_used)
    }

    /// Output index of the plain function type with `id`'s signature, for a function
    /// asyncify adds: the input's plain type if it has one, else an appended one (appended
    /// types are always plain).
    pub fn plain_ty(&mut self, id: TypeId) -> u32 {
        if let Some(&index) = self.plain.get(&id) {
            return index;
        }
        if !self.types.contains_key(&id) {
            return self.ty(id);
        }
        // Known only inside a rec group: append a plain copy.
        let index = self.original_type_count + self.new_types.len() as u32;
        self.new_types.push(id);
        self.plain.insert(id, index);
        index
    }

    /// Output index of a function. Panics if the function has no index: callers only ask for
    /// functions that exist in the output.
    pub fn func(&self, id: FunctionId) -> u32 {
        self.funcs
            .get(id.index())
            .unwrap_or_else(|| panic!("function {id:?} has no output index"))
    }

    /// Output index of a global.
    pub fn global(&self, id: GlobalId) -> u32 {
        self.globals
            .get(id.index())
            .unwrap_or_else(|| panic!("global {id:?} has no output index"))
    }

    /// Output index of a table.
    pub fn table(&self, id: TableId) -> u32 {
        self.tables
            .get(id.index())
            .unwrap_or_else(|| panic!("table {id:?} has no output index"))
    }

    /// Output index of a memory.
    pub fn memory(&self, id: MemoryId) -> u32 {
        self.memories
            .get(id.index())
            .unwrap_or_else(|| panic!("memory {id:?} has no output index"))
    }

    /// Output index of a data segment.
    pub fn data(&self, id: DataId) -> u32 {
        self.data
            .get(id.index())
            .unwrap_or_else(|| panic!("data segment {id:?} has no output index"))
    }

    /// Output index of an element segment.
    pub fn elem(&self, id: ElementId) -> u32 {
        self.elems
            .get(id.index())
            .unwrap_or_else(|| panic!("element segment {id:?} has no output index"))
    }

    /// Output index of a tag.
    pub fn tag(&self, id: TagId) -> u32 {
        self.tags
            .get(id.index())
            .unwrap_or_else(|| panic!("tag {id:?} has no output index"))
    }

    /// Output index of a type, appending it to the type section if the input lacks it.
    pub fn ty(&mut self, id: TypeId) -> u32 {
        if let Some(&index) = self.types.get(&id) {
            if self.ambiguous.contains(&id) {
                self.ambiguous_used.push(id);
            }
            return index;
        }
        let index = self.original_type_count + self.new_types.len() as u32;
        self.new_types.push(id);
        self.types.insert(id, index);
        // Appended types are plain: `plain_ty` must not append a second copy.
        self.plain.insert(id, index);
        index
    }

    /// Output index of a type, if it already has one (no appending).
    pub fn existing_ty(&self, id: TypeId) -> Option<u32> {
        self.types.get(&id).copied()
    }

    /// Types appended after the input's type section, in index order.
    pub fn new_types(&self) -> &[TypeId] {
        &self.new_types
    }

    /// Number of types in the input's type section.
    pub fn original_type_count(&self) -> u32 {
        self.original_type_count
    }
}

/// Output type indices for code being encoded.
pub trait TypeIndices {
    /// The output index of type `id`.
    fn ty(&mut self, id: TypeId) -> u32;
}

impl TypeIndices for Indices {
    fn ty(&mut self, id: TypeId) -> u32 {
        Indices::ty(self, id)
    }
}

/// Type indices for code encoded while other code is (on other threads): it cannot append
/// types, so it notes the ones the output lacks (their index is a placeholder, 0) and the
/// ambiguous ones it uses, for the caller to deal with afterwards.
pub struct SharedTypes<'a> {
    pub indices: &'a Indices,
    /// Types without an output index, in order of first use.
    pub missing: Vec<TypeId>,
    /// Ambiguous types used (see [`Indices::take_ambiguous_used`]).
    pub ambiguous: Vec<TypeId>,
}

impl<'a> SharedTypes<'a> {
    pub fn new(indices: &'a Indices) -> SharedTypes<'a> {
        SharedTypes {
            indices,
            missing: Vec::new(),
            ambiguous: Vec::new(),
        }
    }
}

impl TypeIndices for SharedTypes<'_> {
    fn ty(&mut self, id: TypeId) -> u32 {
        match self.indices.types.get(&id) {
            Some(&index) => {
                if self.indices.ambiguous.contains(&id) {
                    self.ambiguous.push(id);
                }
                index
            }
            None => {
                if !self.missing.contains(&id) {
                    self.missing.push(id);
                }
                0
            }
        }
    }
}

impl Indices {
    /// Indices identical to the input's: every original item keeps its index. The starting
    /// point before imports are removed or items appended.
    pub fn identity(ids: &crate::input::OriginalIds) -> Indices {
        let mut indices = Indices::default();
        indices.set_original_types(&ids.types, &ids.plain_types);
        for &id in &ids.funcs {
            indices.funcs.push(id.index());
        }
        for &id in &ids.globals {
            indices.globals.push(id.index());
        }
        for &id in &ids.tables {
            indices.tables.push(id.index());
        }
        for &id in &ids.memories {
            indices.memories.push(id.index());
        }
        for &id in &ids.elems {
            indices.elems.push(id.index());
        }
        for &id in &ids.data {
            indices.data.push(id.index());
        }
        for &id in &ids.tags {
            indices.tags.push(id.index());
        }
        indices
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_space_push_skip_alias() {
        let mut space = IndexSpace::default();
        assert_eq!(space.push(0), 0);
        space.skip(1);
        assert_eq!(space.push(2), 1);
        space.alias(1, 7);
        assert_eq!(space.get(0), Some(0));
        assert_eq!(space.get(1), Some(7));
        assert_eq!(space.get(2), Some(1));
        assert_eq!(space.get(3), None);
        assert_eq!(space.len(), 2);
    }
}
