//! Large counting arrays that do not fault twice per page.

/// `len` copies of `zero`, written into the memory rather than asked of the allocator as zeroed memory.
///
/// `vec![0; len]` gets zeroed memory from the allocator: for a large `len`,
/// fresh pages that the kernel maps to its shared zero page on the first
/// read. Counting into such an array (`counts[slot] += 1` reads first) then
/// faults twice per page, and the second, copy-on-write fault must flush
/// every core's TLB: on a 10 M-row risk analysis that took more system time
/// than the counting took user time. Writing the zeros costs one plain fault
/// per page. (The zeros go through `black_box` so the compiler cannot turn
/// the allocation and the writes back into a request for zeroed memory.)
pub(crate) fn written_zeros<T: Copy>(len: usize, zero: T) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    v.resize(len, std::hint::black_box(zero));
    v
}
