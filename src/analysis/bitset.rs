//! A fixed-width set of small integers (local or slot positions), for the analyses.
//!
//! Liveness copies a set at every branch, block and loop, so sets of up to
//! `INLINE_WORDS * 64` integers (nearly every function's locals) live inline and are
//! copied without touching the allocator.

use std::cmp::Ordering;

/// Words kept inline; wider sets go to the heap.
const INLINE_WORDS: usize = 4;

/// A set of integers below the width it was made with.
#[derive(Clone, Debug)]
pub struct BitSet {
    /// The words when there are at most [`INLINE_WORDS`] of them (the rest stay zero).
    inline: [u64; INLINE_WORDS],
    /// The words of a wider set (empty, so never allocated, otherwise).
    heap: Vec<u64>,
    words: usize,
}

impl BitSet {
    /// The empty set of integers below `width`.
    pub fn new(width: usize) -> BitSet {
        let words = width.div_ceil(64);
        BitSet {
            inline: [0; INLINE_WORDS],
            heap: if words > INLINE_WORDS {
                vec![0; words]
            } else {
                Vec::new()
            },
            words,
        }
    }

    fn words(&self) -> &[u64] {
        if self.words > INLINE_WORDS {
            &self.heap
        } else {
            &self.inline[..self.words]
        }
    }

    fn words_mut(&mut self) -> &mut [u64] {
        if self.words > INLINE_WORDS {
            &mut self.heap
        } else {
            &mut self.inline[..self.words]
        }
    }

    pub fn insert(&mut self, i: usize) {
        self.words_mut()[i / 64] |= 1 << (i % 64);
    }

    pub fn contains(&self, i: usize) -> bool {
        self.words()[i / 64] & (1 << (i % 64)) != 0
    }

    pub fn remove(&mut self, i: usize) {
        self.words_mut()[i / 64] &= !(1 << (i % 64));
    }

    /// How many integers it holds.
    pub fn len(&self) -> usize {
        self.words().iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words().iter().all(|&w| w == 0)
    }

    pub fn union_with(&mut self, other: &BitSet) {
        for (a, b) in self.words_mut().iter_mut().zip(other.words()) {
            *a |= b;
        }
    }

    /// The size of the union with `other`, without building it.
    pub fn union_len(&self, other: &BitSet) -> usize {
        self.words()
            .iter()
            .zip(other.words())
            .map(|(a, b)| (a | b).count_ones() as usize)
            .sum()
    }

    /// Whether every integer of `other` is in this set.
    pub fn contains_all(&self, other: &BitSet) -> bool {
        self.words()
            .iter()
            .zip(other.words())
            .all(|(a, b)| b & !a == 0)
    }

    /// The integers, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words().iter().enumerate().flat_map(|(w, &bits)| {
            let mut rest = bits;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(w * 64 + bit)
            })
        })
    }
}

impl PartialEq for BitSet {
    fn eq(&self, other: &BitSet) -> bool {
        self.words() == other.words()
    }
}

impl Eq for BitSet {}

impl PartialOrd for BitSet {
    fn partial_cmp(&self, other: &BitSet) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BitSet {
    /// Word by word, as the sets' words compare as slices.
    fn cmp(&self, other: &BitSet) -> Ordering {
        self.words().cmp(other.words())
    }
}

#[cfg(test)]
mod tests {
    use super::BitSet;

    #[test]
    fn inline_and_heap_sets_agree() {
        for width in [0, 1, 63, 64, 65, 200, 256, 257, 1000] {
            let mut set = BitSet::new(width);
            let members: Vec<usize> = (0..width).filter(|i| i % 3 == 0 || i % 64 == 63).collect();
            for &i in &members {
                set.insert(i);
            }
            assert_eq!(set.iter().collect::<Vec<_>>(), members, "width {width}");
            assert_eq!(set.len(), members.len());
            assert_eq!(set.is_empty(), members.is_empty());
            let mut other = BitSet::new(width);
            if width > 1 {
                other.insert(1);
                assert!(!set.contains_all(&other));
                assert_eq!(set.union_len(&other), members.len() + 1);
                other.union_with(&set);
                assert!(other.contains_all(&set));
                assert!(other > set || width == 0);
                other.remove(1);
                assert_eq!(other, set);
            }
        }
    }
}
