//! Worker threads that live as long as the instrumentation of a module, so that a function
//! stays on one thread through every parallel step.
//!
//! glibc's allocator gives each thread an arena of its own, with one lock. Memory a thread
//! frees or grows that another thread allocated takes the other arena's lock, so when the
//! steps of a function ran on whichever thread was free (and threads were started afresh for
//! every step), two workers spent much of their time waiting on each other's locks (see the
//! book's performance chapter). Here the threads are started once, and [`Workers::map`] can
//! send each item to the thread that handled the same function in an earlier step.
//!
//! The jobs borrow the caller's data, like [`std::thread::scope`]'s closures, but only for
//! one call of [`Workers::map`], which waits until every thread is done with the job.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// How many threads parse and instrument functions: as many as the machine has, or
/// `ASYNCIFY_THREADS` (like Binaryen's `BINARYEN_CORES`).
pub fn thread_count() -> usize {
    std::env::var("ASYNCIFY_THREADS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// An item of [`Workers::map`], then its result and the thread that made it.
type Slot<T, R> = Mutex<(Option<T>, Option<(R, usize)>)>;

/// A job as the threads see it: run your share, given your number.
type Job<'a> = dyn Fn(usize) + Sync + 'a;

/// A job with its lifetime erased. [`Workers::run`] keeps it alive until every thread has
/// finished with it.
#[derive(Clone, Copy)]
struct JobRef(*const Job<'static>);

// SAFETY: the job behind the pointer is `Sync`, and it outlives every use (see `run`).
unsafe impl Send for JobRef {}

#[derive(Default)]
struct State {
    /// Counts jobs handed out; a thread runs each one once.
    generation: u64,
    job: Option<JobRef>,
    /// Threads still running the current job.
    running: usize,
    /// The first panic of a job, passed on to the caller.
    panic: Option<Box<dyn Any + Send>>,
    /// What the threads gave the calling thread to free (see [`Workers::discard`]).
    garbage: Vec<Box<dyn Send>>,
    quit: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// A new job (or quitting).
    started: Condvar,
    /// The last thread finished the job, or there is garbage to free.
    finished: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding the lock, so it is never poisoned; if it were, the
        // state is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The threads, available inside [`scope`].
pub struct Workers<'s> {
    shared: &'s Shared,
    /// How many threads started (0: everything runs on the calling thread).
    threads: usize,
}

/// Run `f` with up to `threads` worker threads of `stack` bytes each (fewer if the system
/// will not start them; none if `threads` is 1).
pub fn scope<R>(threads: usize, stack: usize, f: impl FnOnce(&Workers<'_>) -> R) -> R {
    let shared = Shared::default();
    std::thread::scope(|scope| {
        let mut started = 0;
        if threads > 1 {
            for me in 0..threads {
                let shared = &shared;
                let spawned = std::thread::Builder::new()
                    .name("asyncify".into())
                    .stack_size(stack)
                    .spawn_scoped(scope, move || work(shared, me));
                // A thread that cannot start leaves its share to the others.
                if spawned.is_err() {
                    break;
                }
                started += 1;
            }
        }
        let workers = Workers {
            shared: &shared,
            threads: started,
        };
        // Quit the threads however `f` ends, or the scope would wait for them forever.
        struct Quit<'a>(&'a Shared);
        impl Drop for Quit<'_> {
            fn drop(&mut self) {
                self.0.lock().quit = true;
                self.0.started.notify_all();
            }
        }
        let _quit = Quit(&shared);
        f(&workers)
    })
}

/// A worker thread's life: run each job once, until told to quit.
fn work(shared: &Shared, me: usize) {
    let mut seen = 0;
    loop {
        let job = {
            let mut state = shared.lock();
            while state.generation == seen && !state.quit {
                state = shared
                    .started
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
            }
            if state.quit {
                return;
            }
            seen = state.generation;
            state.job.expect("a new generation has a job")
        };
        // SAFETY: `run` does not return (so the job is alive) until `running` drops to 0,
        // which needs this thread to report below.
        let job = unsafe { &*job.0 };
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| job(me)));
        let mut state = shared.lock();
        if let Err(panic) = outcome {
            state.panic.get_or_insert(panic);
        }
        state.running -= 1;
        if state.running == 0 {
            shared.finished.notify_all();
        }
    }
}

impl Workers<'_> {
    /// How many threads share the work (at least 1: the caller's own).
    pub fn threads(&self) -> usize {
        self.threads.max(1)
    }

    /// Run `job` on every thread (each gets its number), and wait for all of them.
    fn run(&self, job: &Job<'_>) {
        if self.threads == 0 {
            job(0);
            return;
        }
        // SAFETY: only the lifetime changes. The threads use the job only between being
        // handed it here and reporting `running == 0`, and this function returns only after
        // that (a panicking job is caught on its thread and still reports).
        let erased: &Job<'static> = unsafe { std::mem::transmute::<&Job<'_>, &Job<'static>>(job) };
        let mut state = self.shared.lock();
        state.job = Some(JobRef(erased));
        state.generation += 1;
        state.running = self.threads;
        self.shared.started.notify_all();
        loop {
            if !state.garbage.is_empty() {
                let garbage = std::mem::take(&mut state.garbage);
                drop(state);
                drop(garbage);
                state = self.shared.lock();
                continue;
            }
            if state.running == 0 {
                break;
            }
            state = self
                .shared
                .finished
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
        state.job = None;
        if let Some(panic) = state.panic.take() {
            drop(state);
            std::panic::resume_unwind(panic);
        }
    }

    /// Have the calling thread free `garbage` (while the threads go on), because it was
    /// allocated there: freeing or growing memory another thread allocated waits on that
    /// thread's allocator lock, which the workers would then contend for. Frees it at once
    /// when there are no threads.
    pub fn discard(&self, garbage: impl Send + 'static) {
        if self.threads == 0 {
            return;
        }
        self.shared.lock().garbage.push(Box::new(garbage));
        self.shared.finished.notify_all();
    }

    /// `f` over every item, results in item order, with the thread that handled each.
    /// Items go to the first free thread (functions vary wildly in size), unless `owners`
    /// names the thread for each item (from an earlier call), which then handles its items
    /// in order.
    pub fn map<T: Send, R: Send>(
        &self,
        items: Vec<T>,
        owners: Option<&[usize]>,
        f: impl Fn(T) -> R + Sync,
    ) -> (Vec<R>, Vec<usize>) {
        let order: Vec<usize> = (0..items.len()).collect();
        self.map_in(items, owners, &order, f)
    }

    /// [`Workers::map`] with the items handed to the first free thread heaviest first (by
    /// `weight`, ties in item order), so that a big item does not start last and keep the
    /// other threads waiting at the end; results are still in item order.
    pub fn map_heaviest_first<T: Send, R: Send>(
        &self,
        items: Vec<T>,
        weight: impl Fn(&T) -> usize,
        f: impl Fn(T) -> R + Sync,
    ) -> (Vec<R>, Vec<usize>) {
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(weight(&items[i])));
        self.map_in(items, None, &order, f)
    }

    /// [`Workers::map`], with free threads taking the items in `order` (a permutation).
    fn map_in<T: Send, R: Send>(
        &self,
        items: Vec<T>,
        owners: Option<&[usize]>,
        order: &[usize],
        f: impl Fn(T) -> R + Sync,
    ) -> (Vec<R>, Vec<usize>) {
        let n = items.len();
        debug_assert_eq!(order.len(), n);
        let slots: Vec<Slot<T, R>> = items
            .into_iter()
            .map(|item| Mutex::new((Some(item), None)))
            .collect();
        let handle = |i: usize, me: usize| {
            let slot = &slots[i];
            let item = slot.lock().unwrap_or_else(|e| e.into_inner()).0.take();
            let item = item.expect("each item is handled once");
            let result = f(item);
            slot.lock().unwrap_or_else(|e| e.into_inner()).1 = Some((result, me));
        };
        let threads = self.threads();
        match owners {
            Some(owners) => {
                assert_eq!(owners.len(), n, "one owner per item");
                self.run(&|me| {
                    for i in (0..n).filter(|&i| owners[i] % threads == me) {
                        handle(i, me);
                    }
                });
            }
            None => {
                let next = AtomicUsize::new(0);
                self.run(&|me| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    handle(order[i], me);
                });
            }
        }
        slots
            .into_iter()
            .map(|slot| {
                let (_, done) = slot.into_inner().unwrap_or_else(|e| e.into_inner());
                done.expect("every item was handled")
            })
            .unzip()
    }
}

#[cfg(test)]
mod tests {
    use super::scope;

    #[test]
    fn results_come_in_item_order_and_owners_are_kept() {
        for threads in [1, 2, 3, 8] {
            scope(threads, 1 << 20, |workers| {
                let items: Vec<usize> = (0..100).collect();
                let (squares, owners) = workers.map(items.clone(), None, |i| i * i);
                assert_eq!(squares, items.iter().map(|i| i * i).collect::<Vec<_>>());
                assert!(owners.iter().all(|&o| o < workers.threads()));
                let (same, again) = workers.map(items, Some(&owners), |i| i + 1);
                assert_eq!(same, (1..101).collect::<Vec<_>>());
                assert_eq!(again, owners, "{threads} threads");
            });
        }
    }

    #[test]
    fn heaviest_items_are_taken_first_and_results_stay_in_item_order() {
        // One thread: the order it handles items in is the order they are taken in.
        scope(1, 1 << 20, |workers| {
            let taken = std::sync::Mutex::new(Vec::new());
            let weights = [3, 9, 1, 9, 5];
            let (results, _) = workers.map_heaviest_first(
                (0..weights.len()).collect(),
                |&i| weights[i],
                |i| {
                    taken.lock().unwrap().push(i);
                    i * 10
                },
            );
            assert_eq!(results, [0, 10, 20, 30, 40]);
            assert_eq!(*taken.lock().unwrap(), [1, 3, 4, 0, 2]);
        });
        for threads in [2, 3] {
            scope(threads, 1 << 20, |workers| {
                let (results, owners) =
                    workers.map_heaviest_first((0..50).collect(), |&i: &usize| i % 7, |i| i + 1);
                assert_eq!(results, (1..51).collect::<Vec<_>>());
                assert!(owners.iter().all(|&o| o < workers.threads()));
            });
        }
    }

    #[test]
    fn garbage_is_freed_by_the_caller() {
        struct Noted(std::sync::mpsc::Sender<std::thread::ThreadId>);
        impl Drop for Noted {
            fn drop(&mut self) {
                let _ = self.0.send(std::thread::current().id());
            }
        }
        let (sender, freed_on) = std::sync::mpsc::channel();
        let caller = std::thread::current().id();
        scope(2, 1 << 20, |workers| {
            workers.map((0..20).collect(), None, |i: i32| {
                workers.discard(Noted(sender.clone()));
                i
            });
        });
        drop(sender);
        let threads: Vec<_> = freed_on.iter().collect();
        assert_eq!(threads.len(), 20);
        assert!(threads.iter().all(|&t| t == caller));
    }

    #[test]
    fn a_panicking_job_reaches_the_caller_and_the_threads_still_quit() {
        let outcome = std::panic::catch_unwind(|| {
            scope(2, 1 << 20, |workers| {
                workers.map((0..10).collect(), None, |i: i32| {
                    assert!(i != 7, "item seven");
                    i
                })
            })
        });
        assert!(outcome.is_err());
    }
}
