//! Asking the kernel to back a list's spare room before the list grows into it.
//!
//! The first write to a fresh page costs a fault: the kernel finds a page, zeroes it and
//! maps it. On a virtual machine whose host has taken freed memory back (a balloon's free
//! page reporting), the host must back the page again first, and the fault costs several
//! times more: right after another process freed 2 GB, a cold run on the million-node graph
//! spent 0.7–1.2 s in the kernel instead of 0.15 s. Its load fills about 240 MB of lists
//! (nodes, their states, strings, edges) from one thread, in file order, while the other
//! parses the next wave; on such a host that thread spent most of its time in faults, and
//! the parsing thread, done early, waited for it.
//!
//! [`Ahead`] moves those faults to the parsing thread. Before each commit it plans, for each
//! list, the room past what is backed already, up to twice what the list grew in the
//! commit before; once the next wave is parsed, [`back`] asks the kernel to map that room
//! (`MADV_POPULATE_WRITE`, Linux 5.14 and later) a piece of each list in turn, until the
//! commit is done (with one thread, the parse, the backing and the commit run one after
//! another, and the backing does what the commit would have done). Mapping faults the pages
//! in as a write would, without writing: what the memory holds never changes. Elsewhere, or
//! when the kernel cannot, nothing is backed and the committing thread takes the faults as
//! before.
//!
//! The plan is only addresses: a list that moves (grows past its capacity) while its room
//! is being backed leaves that room to the allocator, whose memory is then backed a little
//! early and is otherwise untouched; the next plan starts from the list's new place.

/// The room of a list: where its buffer starts, and how many of its bytes are in use and
/// allocated.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Room {
    base: usize,
    used: usize,
    cap: usize,
}

impl Room {
    pub(crate) fn of<T>(v: &[T], capacity: usize) -> Room {
        Room {
            base: v.as_ptr() as usize,
            used: std::mem::size_of_val(v),
            cap: capacity * std::mem::size_of::<T>(),
        }
    }

    pub(crate) fn of_vec<T>(v: &Vec<T>) -> Room {
        Room::of(v, v.capacity())
    }
}

/// A list as [`Ahead`] last saw it.
#[derive(Copy, Clone, Debug, Default)]
struct Seen {
    room: Room,
    /// Bytes from `room.base` backed already (or in use).
    backed: usize,
}

/// Plans which rooms to back, from one commit to the next.
#[derive(Debug, Default)]
pub(crate) struct Ahead {
    seen: Vec<Seen>,
}

/// Address ranges to back, one per list that has room to back: `(list, start, length)`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan(Vec<(usize, usize, usize)>);

/// Ranges are backed a piece of this size at a time (a huge page), checking in between
/// whether to stop.
const PIECE: usize = 2 << 20;

impl Ahead {
    /// What to back now, given the lists' rooms (always the same lists, in the same order):
    /// for each list, the bytes past its end up to twice what it grew since the last plan,
    /// within its capacity, minus what was backed already.
    pub(crate) fn plan(&mut self, rooms: &[Room]) -> Plan {
        self.seen.resize(rooms.len(), Seen::default());
        let mut plan = Vec::new();
        for (list, (seen, &room)) in self.seen.iter_mut().zip(rooms).enumerate() {
            let moved = room.base != seen.room.base;
            let grew = if moved {
                0
            } else {
                room.used.saturating_sub(seen.room.used)
            };
            if moved {
                seen.backed = 0;
            }
            seen.backed = seen.backed.max(room.used);
            seen.room = room;
            let to = room
                .used
                .saturating_add(grew.saturating_mul(2))
                .min(room.cap);
            if to > seen.backed {
                plan.push((list, room.base + seen.backed, to - seen.backed));
            }
        }
        Plan(plan)
    }

    /// Records how much of each of `plan`'s ranges [`back`] backed.
    pub(crate) fn backed(&mut self, plan: &Plan, done: &[usize]) {
        for (&(list, start, _), &done) in plan.0.iter().zip(done) {
            let seen = &mut self.seen[list];
            seen.backed = seen.backed.max(start - seen.room.base + done);
        }
    }
}

/// Asks the kernel to back `plan`'s ranges with pages, as a write would, without changing
/// what they hold: a piece of each range in turn, so that every list gets its next pages
/// first, until all is backed or `stop` is set. Returns how many bytes of each range it
/// went through (all of them where the kernel cannot back memory this way: nothing is
/// gained by trying again).
pub(crate) fn back(plan: &Plan, stop: &std::sync::atomic::AtomicBool) -> Vec<usize> {
    use std::sync::atomic::Ordering;
    let Some(page) = page_size() else {
        return plan.0.iter().map(|r| r.2).collect();
    };
    let mut done = vec![0usize; plan.0.len()];
    loop {
        let mut more = false;
        for (i, &(_, start, len)) in plan.0.iter().enumerate() {
            if done[i] >= len {
                continue;
            }
            if stop.load(Ordering::Relaxed) {
                return done;
            }
            let piece = PIECE.min(len - done[i]);
            populate(start + done[i], piece, page);
            done[i] += piece;
            more |= done[i] < len;
        }
        if !more {
            return done;
        }
    }
}

/// The system's memory page size (4096 where it cannot be read).
pub(crate) fn system_page_size() -> usize {
    #[cfg(unix)]
    {
        static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        *PAGE.get_or_init(|| {
            // SAFETY: `sysconf` reads a system setting.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            usize::try_from(page)
                .ok()
                .filter(|p| p.is_power_of_two())
                .unwrap_or(4096)
        })
    }
    #[cfg(not(unix))]
    4096
}

/// The page size, when this kernel backs memory with `MADV_POPULATE_WRITE` (Linux 5.14 and
/// later; asked once, on a page of the process's own); `None` otherwise.
fn page_size() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        static PAGE: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();
        *PAGE.get_or_init(|| {
            let page = system_page_size();
            let probe = vec![0u8; 2 * page];
            let at = (probe.as_ptr() as usize).next_multiple_of(page);
            // SAFETY: maps one page inside `probe` without writing it (see `populate`).
            let r =
                unsafe { libc::madvise(at as *mut libc::c_void, page, libc::MADV_POPULATE_WRITE) };
            (r == 0).then_some(page)
        })
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Backs the pages that hold any of `start..start + len`. A page at either end may be partly
/// another allocation's: mapping it changes nothing there either.
#[cfg(target_os = "linux")]
fn populate(start: usize, len: usize, page: usize) {
    let (a, b) = (start / page * page, (start + len).next_multiple_of(page));
    // SAFETY: MADV_POPULATE_WRITE only maps pages (faulting them in as a write would,
    // without writing), so it changes no memory's contents whatever the range, and no
    // reference is made from the address. The result is ignored: a range that is no
    // longer mapped, or mapped in a way the call does not take, belonged to a list that
    // has moved since the plan (the next plan starts from its new place).
    let _ = unsafe { libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_POPULATE_WRITE) };
}

#[cfg(not(target_os = "linux"))]
fn populate(_: usize, _: usize, _: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(base: usize, used: usize, cap: usize) -> Room {
        Room { base, used, cap }
    }

    #[test]
    fn plans_twice_the_last_growth_ahead_once() {
        let mut a = Ahead::default();
        let mb = 1 << 20;
        let all = |a: &mut Ahead, p: &Plan| {
            let done: Vec<usize> = p.0.iter().map(|r| r.2).collect();
            a.backed(p, &done);
        };
        // First sight: no growth known, nothing planned.
        assert_eq!(a.plan(&[room(1000 * mb, 0, 100 * mb)]), Plan(vec![]));
        // Grew 4 MB: back the next 8 MB past the end.
        let p = a.plan(&[room(1000 * mb, 4 * mb, 100 * mb)]);
        assert_eq!(p, Plan(vec![(0, 1004 * mb, 8 * mb)]));
        all(&mut a, &p);
        // Grew 4 MB more: only the part not backed yet, up to 8 MB past the new end.
        let p = a.plan(&[room(1000 * mb, 8 * mb, 100 * mb)]);
        assert_eq!(p, Plan(vec![(0, 1012 * mb, 4 * mb)]));
        // Only 1 MB of it got backed: the rest is planned again.
        a.backed(&p, &[mb]);
        let p = a.plan(&[room(1000 * mb, 8 * mb, 100 * mb)]);
        assert_eq!(p, Plan(vec![]), "no growth since the last plan");
        let p = a.plan(&[room(1000 * mb, 12 * mb, 100 * mb)]);
        assert_eq!(p, Plan(vec![(0, 1013 * mb, 7 * mb)]));
        all(&mut a, &p);
        // Near capacity: stop at it.
        let p = a.plan(&[room(1000 * mb, 90 * mb, 100 * mb)]);
        assert_eq!(p, Plan(vec![(0, 1090 * mb, 10 * mb)]));
        all(&mut a, &p);
        // Moved (reallocated): start over from the new place, nothing known of its growth.
        assert_eq!(a.plan(&[room(5000 * mb, 91 * mb, 200 * mb)]), Plan(vec![]));
        let p = a.plan(&[room(5000 * mb, 95 * mb, 200 * mb)]);
        assert_eq!(p, Plan(vec![(0, 5095 * mb, 8 * mb)]));
    }

    #[test]
    fn backs_every_list_in_turn_and_stops_when_asked() {
        use std::sync::atomic::AtomicBool;
        let (mut a, mut b): (Vec<u64>, Vec<u32>) =
            (Vec::with_capacity(1 << 22), Vec::with_capacity(1 << 22));
        a.extend(0..1000);
        b.extend(0..1000);
        let mut ahead = Ahead::default();
        ahead.plan(&[Room::of_vec(&a), Room::of_vec(&b)]);
        a.extend(1000..1_000_000);
        b.extend(1000..1_000_000);
        let plan = ahead.plan(&[Room::of_vec(&a), Room::of_vec(&b)]);
        assert_eq!(plan.0.len(), 2);
        let all = vec![plan.0[0].2, plan.0[1].2];
        let stopped = back(&plan, &AtomicBool::new(true));
        if page_size().is_some() {
            assert_eq!(stopped, vec![0, 0]);
        } else {
            assert_eq!(
                stopped, all,
                "a kernel that cannot back memory: nothing to retry"
            );
        }
        let done = back(&plan, &AtomicBool::new(false));
        assert_eq!(done, all);
        ahead.backed(&plan, &done);
        // What the lists hold is untouched, and they grow into the backed room as usual.
        a.extend(1_000_000..2_000_000);
        b.extend(1_000_000..2_000_000);
        assert!(a.iter().enumerate().all(|(i, &x)| x == i as u64));
        assert!(b.iter().enumerate().all(|(i, &x)| x == i as u32));
    }
}
