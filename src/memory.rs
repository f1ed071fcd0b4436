//! The memory pool of a run with `[limits] memory`: a spilling pool whose
//! shares are split among the consumers that hold a large part of it, not
//! among every consumer registered.
//!
//! DataFusion's `FairSpillPool` gives each spilling consumer at most
//! `(pool - unspillable) / n`, `n` counting every spilling consumer
//! registered: each partition of every aggregation, sort and repartition of
//! the running plan, most of them idle or holding a few batches. A plan
//! whose one large aggregation runs in two partitions beside four partial
//! aggregations and two repartition outputs thus gives each final partition
//! an eighth of the pool: at scale 100 under 4 GiB the cadastre's key check
//! and the overlap lists spilled while most of the pool was unused
//! (BENCHMARKS.md, "A pool shared by the consumers that hold memory").
//!
//! Here, with `available = pool - unspillable`:
//! - a spilling consumer may hold at most `available / (k + 1)`, `k` the
//!   number of *other* spilling consumers holding at least `available /
//!   64` ([`SMALL_FRACTION`]): a repartition's few buffered batches or a
//!   partial aggregation that skips do not shrink the others' shares;
//! - the spilling consumers together never hold more than `available`;
//! - a consumer that cannot spill is refused only when the pool is full,
//!   as in `FairSpillPool`.
//!
//! So, as with `FairSpillPool`, what the pool reserves never passes its
//! size. A refused spilling consumer spills (or, holding nothing to spill,
//! fails with a resources error, as it would in `FairSpillPool` when its
//! share is too small).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use datafusion::common::{DataFusionError, Result};
use datafusion::execution::memory_pool::{MemoryLimit, MemoryPool, MemoryReservation};

/// A spilling consumer holding less than `available / SMALL_FRACTION` does
/// not count against the others' shares.
pub const SMALL_FRACTION: usize = 64;

/// A spilling pool shared by the consumers that hold a large part of it
/// (module documentation).
#[derive(Debug)]
pub struct SharedSpillPool {
    size: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    unspillable: usize,
    spillable: usize,
    /// Bytes held by each spilling consumer (by `MemoryConsumer::id`: the
    /// reservations split from one consumer count as one) that holds any.
    held: HashMap<usize, usize>,
}

impl SharedSpillPool {
    pub fn new(size: usize) -> Self {
        Self {
            size,
            state: Mutex::new(State::default()),
        }
    }

    /// The state. Each update of it is a few additions under the lock,
    /// none of which can panic (they saturate), so a poisoned lock holds a
    /// consistent state and is taken as is.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn add(&mut self, reservation: &MemoryReservation, bytes: usize) {
        let consumer = reservation.consumer();
        if !consumer.can_spill() {
            self.unspillable = self.unspillable.saturating_add(bytes);
            return;
        }
        self.spillable = self.spillable.saturating_add(bytes);
        if bytes > 0 {
            let held = self.held.entry(consumer.id()).or_default();
            *held = held.saturating_add(bytes);
        }
    }

    fn remove(&mut self, reservation: &MemoryReservation, bytes: usize) {
        let consumer = reservation.consumer();
        if !consumer.can_spill() {
            self.unspillable = self.unspillable.saturating_sub(bytes);
            return;
        }
        self.spillable = self.spillable.saturating_sub(bytes);
        if let Some(held) = self.held.get_mut(&consumer.id()) {
            *held = held.saturating_sub(bytes);
            if *held == 0 {
                self.held.remove(&consumer.id());
            }
        }
    }

    /// The most `consumer` may hold, of `available` bytes for spilling
    /// consumers.
    fn share(&self, consumer: usize, available: usize) -> usize {
        let large = (available / SMALL_FRACTION).max(1);
        let others = self
            .held
            .iter()
            .filter(|(id, bytes)| **id != consumer && **bytes >= large)
            .count();
        available / (others + 1)
    }
}

impl std::fmt::Display for SharedSpillPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        write!(
            f,
            "shared spill pool of {} bytes ({} held by {} spilling consumers, {} by others)",
            self.size,
            state.spillable,
            state.held.len(),
            state.unspillable
        )
    }
}

impl MemoryPool for SharedSpillPool {
    fn name(&self) -> &str {
        "shared"
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.state().add(reservation, additional);
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.state().remove(reservation, shrink);
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        let mut state = self.state();
        let consumer = reservation.consumer();
        // `Some(room)` when `additional` does not fit the consumer's room.
        let refused_room = if consumer.can_spill() {
            let available = self.size.saturating_sub(state.unspillable);
            let held = state.held.get(&consumer.id()).copied().unwrap_or(0);
            let share = state.share(consumer.id(), available);
            let free = available.saturating_sub(state.spillable);
            let room = share.saturating_sub(held).min(free);
            (additional > room).then_some(room)
        } else {
            let free = self
                .size
                .saturating_sub(state.unspillable.saturating_add(state.spillable));
            (additional > free).then_some(free)
        };
        if let Some(room) = refused_room {
            return Err(DataFusionError::ResourcesExhausted(format!(
                "failed to allocate {additional} bytes more for {} (holding {}): {room} bytes \
                 are its room in the shared spill pool of {} bytes",
                consumer.name(),
                reservation.size(),
                self.size
            )));
        }
        state.add(reservation, additional);
        Ok(())
    }

    fn reserved(&self) -> usize {
        let state = self.state();
        state.spillable.saturating_add(state.unspillable)
    }

    fn memory_limit(&self) -> MemoryLimit {
        MemoryLimit::Finite(self.size)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::execution::memory_pool::MemoryConsumer;

    use super::*;

    const SIZE: usize = 64_000;

    fn pool() -> Arc<dyn MemoryPool> {
        Arc::new(SharedSpillPool::new(SIZE))
    }

    fn spilling(pool: &Arc<dyn MemoryPool>, name: &str) -> MemoryReservation {
        MemoryConsumer::new(name)
            .with_can_spill(true)
            .register(pool)
    }

    fn unspilling(pool: &Arc<dyn MemoryPool>, name: &str) -> MemoryReservation {
        MemoryConsumer::new(name).register(pool)
    }

    #[test]
    fn registered_idle_consumers_do_not_shrink_a_share() {
        let pool = pool();
        // Idle spilling consumers (FairSpillPool would give each a ninth).
        let _idle: Vec<_> = (0..8)
            .map(|i| spilling(&pool, &format!("idle{i}")))
            .collect();
        let a = spilling(&pool, "a");
        a.try_grow(SIZE).unwrap();
        assert_eq!(pool.reserved(), SIZE);
        assert!(a.try_grow(1).is_err(), "never more than the pool");
    }

    #[test]
    fn two_large_consumers_get_half_each_and_small_ones_do_not_count() {
        let pool = pool();
        let a = spilling(&pool, "a");
        let b = spilling(&pool, "b");
        let small = spilling(&pool, "small");
        // Below SIZE / 64 = 1000: small does not count against a or b.
        small.try_grow(999).unwrap();
        a.try_grow(20_000).unwrap();
        b.try_grow(20_000).unwrap();
        // a's share is SIZE / 2 = 32 000 (b counts, small does not).
        a.try_grow(12_000).unwrap();
        let refused = a.try_grow(1).unwrap_err().to_string();
        assert!(
            refused.contains("failed to allocate 1 bytes more for a (holding 32000)"),
            "{refused}"
        );
        // At 1000 bytes small counts: a's share is a third, below what it holds.
        small.try_grow(1).unwrap();
        assert!(a.try_grow(1).is_err());
        // b, holding less than its third, may still grow to 21 333.
        b.try_grow(1_333).unwrap();
        assert!(b.try_grow(1).is_err());
    }

    #[test]
    fn the_spilling_consumers_together_never_pass_the_pool() {
        let pool = pool();
        let a = spilling(&pool, "a");
        let b = spilling(&pool, "b");
        // Alone, a takes the whole pool.
        a.try_grow(SIZE).unwrap();
        // b's share would be half, but nothing is free.
        assert!(b.try_grow(1).is_err());
        a.shrink(SIZE / 2);
        b.try_grow(SIZE / 2).unwrap();
        assert!(b.try_grow(1).is_err());
        assert_eq!(pool.reserved(), SIZE);
    }

    #[test]
    fn memory_that_cannot_spill_comes_first_and_is_refused_only_when_the_pool_is_full() {
        let pool = pool();
        let join = unspilling(&pool, "join");
        let a = spilling(&pool, "a");
        join.try_grow(40_000).unwrap();
        // The spilling consumers share what is left.
        assert!(a.try_grow(24_001).is_err());
        a.try_grow(24_000).unwrap();
        assert!(join.try_grow(1).is_err(), "the pool is full");
        a.free();
        join.try_grow(24_000).unwrap();
        assert_eq!(pool.reserved(), SIZE);
    }

    #[test]
    fn a_consumer_that_frees_its_memory_stops_counting() {
        let pool = pool();
        let a = spilling(&pool, "a");
        let b = spilling(&pool, "b");
        b.try_grow(10_000).unwrap();
        assert!(a.try_grow(32_001).is_err());
        b.free();
        a.try_grow(SIZE).unwrap();
        drop(a);
        assert_eq!(pool.reserved(), 0);
    }

    #[test]
    fn reservations_split_from_one_consumer_count_as_one() {
        let pool = pool();
        let a = spilling(&pool, "a");
        a.try_grow(30_000).unwrap();
        let part = a.split(20_000);
        // Still one large consumer: a may grow to the whole pool.
        a.try_grow(34_000).unwrap();
        drop(part);
        assert_eq!(pool.reserved(), 44_000);
        a.free();
        assert_eq!(pool.reserved(), 0);
    }
}
