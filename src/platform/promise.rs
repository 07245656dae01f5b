//! Awaiting a JavaScript promise from Rust, for the calls every request makes (its body,
//! its D1 statement).
//!
//! `wasm_bindgen_futures::JsFuture` makes two one-shot closures per promise: each is a new
//! JavaScript function registered with a `FinalizationRegistry`, unregistered and destroyed
//! again once the promise settles. Here one callback, made once per isolate, receives every
//! settled promise with the number of the slot its result goes to; what is left per promise
//! is a slot in a table and the two arrow functions `then` is given.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::{wasm_bindgen, Closure};
use wasm_bindgen::JsValue;

/// `promise`'s value (`Ok`) or rejection (`Err`), as a future.
pub fn settled(promise: &js_sys::Promise) -> Settled {
    let slot = SLOTS.with(|s| s.borrow_mut().take());
    ON_SETTLE.with(|on_settle| forward(promise, slot, on_settle));
    Settled { slot, done: false }
}

/// The future [`settled`] returns.
#[must_use = "a promise's result is only read by awaiting it"]
pub struct Settled {
    slot: u32,
    /// The result was taken (the slot is free again).
    done: bool,
}

impl Future for Settled {
    type Output = Result<JsValue, JsValue>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let slot = self.slot;
        let result = SLOTS.with(|s| s.borrow_mut().poll(slot, cx.waker()));
        if result.is_ready() {
            self.done = true;
        }
        result
    }
}

impl Drop for Settled {
    fn drop(&mut self) {
        if !self.done {
            SLOTS.with(|s| s.borrow_mut().abandon(self.slot));
        }
    }
}

/// What a slot holds.
enum Slot {
    Free,
    /// The promise has not settled; the task to wake when it does, once polled.
    Waiting(Option<Waker>),
    /// Settled, not yet read.
    Settled(Result<JsValue, JsValue>),
    /// Its future was dropped before the promise settled: freed when it does.
    Abandoned,
}

#[derive(Default)]
struct Slots {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

impl Slots {
    fn take(&mut self) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Slot::Waiting(None);
                i
            }
            None => {
                self.slots.push(Slot::Waiting(None));
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn release(&mut self, i: u32) {
        self.slots[i as usize] = Slot::Free;
        self.free.push(i);
    }

    fn poll(&mut self, i: u32, waker: &Waker) -> Poll<Result<JsValue, JsValue>> {
        match std::mem::replace(&mut self.slots[i as usize], Slot::Free) {
            Slot::Settled(result) => {
                self.release(i);
                Poll::Ready(result)
            }
            Slot::Waiting(_) => {
                self.slots[i as usize] = Slot::Waiting(Some(waker.clone()));
                Poll::Pending
            }
            // A future is polled only while it owns its slot.
            other @ (Slot::Free | Slot::Abandoned) => {
                self.slots[i as usize] = other;
                Poll::Pending
            }
        }
    }

    fn abandon(&mut self, i: u32) {
        match self.slots[i as usize] {
            Slot::Waiting(_) => self.slots[i as usize] = Slot::Abandoned,
            Slot::Settled(_) => self.release(i),
            Slot::Free | Slot::Abandoned => {}
        }
    }

    /// Stores a settled promise's result; returns the task to wake.
    fn settle(&mut self, i: u32, result: Result<JsValue, JsValue>) -> Option<Waker> {
        let slot = self.slots.get_mut(i as usize)?;
        match std::mem::replace(slot, Slot::Free) {
            Slot::Waiting(waker) => {
                *slot = Slot::Settled(result);
                waker
            }
            Slot::Abandoned => {
                self.release(i);
                None
            }
            // A promise settles once, into the slot taken for it.
            other @ (Slot::Free | Slot::Settled(_)) => {
                *slot = other;
                None
            }
        }
    }
}

fn on_settle(slot: u32, value: JsValue, fulfilled: bool) {
    let result = if fulfilled { Ok(value) } else { Err(value) };
    // The waker is called after the table is released: it queues the task, which polls
    // (and so borrows the table) later, from a microtask.
    if let Some(waker) = SLOTS.with(|s| s.borrow_mut().settle(slot, result)) {
        waker.wake();
    }
}

thread_local! {
    static SLOTS: RefCell<Slots> = RefCell::new(Slots::default());
    /// [`on_settle`] as a JavaScript function, made once and kept for the isolate's life.
    static ON_SETTLE: Closure<dyn Fn(u32, JsValue, bool)> = Closure::new(on_settle);
}

#[wasm_bindgen(inline_js = r#"
export function forward(promise, slot, onSettle) {
  promise.then((value) => onSettle(slot, value, true), (error) => onSettle(slot, error, false));
}
"#)]
extern "C" {
    /// `promise.then(…)`, handing its value or rejection to `on_settle` with `slot`.
    fn forward(
        promise: &js_sys::Promise,
        slot: u32,
        on_settle: &Closure<dyn Fn(u32, JsValue, bool)>,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_slot_is_read_once_and_reused() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut s = Slots::default();
        let a = s.take();
        assert!(s.poll(a, &waker).is_pending());
        let woken = s
            .settle(a, Ok(JsValue::NULL))
            .expect("the polled task is woken");
        woken.wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(s.poll(a, &waker).is_ready());
        // Read: the slot is free, and the next promise takes it.
        assert_eq!(s.take(), a);
    }

    #[test]
    fn a_dropped_future_frees_its_slot_when_the_promise_settles() {
        let mut s = Slots::default();
        let a = s.take();
        s.abandon(a);
        let b = s.take();
        assert_ne!(a, b, "an abandoned slot waits for its promise");
        assert!(s.settle(a, Err(JsValue::NULL)).is_none());
        assert_eq!(s.take(), a);
        // Settled but never read: dropping the future frees it at once.
        let c = s.take();
        assert!(
            s.settle(c, Ok(JsValue::NULL)).is_none(),
            "never polled: no task to wake"
        );
        s.abandon(c);
        assert_eq!(s.take(), c);
        // A settle for a slot that holds no promise changes nothing.
        assert!(s.settle(99, Ok(JsValue::NULL)).is_none());
    }
}
