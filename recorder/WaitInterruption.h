#pragma once
// Which calls a periodic checkpoint may interrupt while the process's only thread waits in
// them: the call is stopped (SIGSTOP), rewound to its `syscall` instruction, the checkpoint
// taken, and the call made again. That is only invisible to the program when making it again
// waits no longer than the rest of the first wait: calls without a timeout (poll and epoll_wait
// with a negative one, reads, accepts, waits for children, futex waits without a timeout), and
// select, pselect6 and ppoll, whose timeout the kernel updates with the time left when
// interrupted. poll, epoll_wait, nanosleep and other timed waits would start their full
// timeout again (ckrr restarts them in full): a program waiting in them gets its checkpoint
// when the call returns.
#include "storage/Event.h"

namespace ckrr {

bool checkpoint_may_interrupt(const Event& call);

// epoll_wait and friends return EINTR (not a restart) when a stop signal interrupts them:
// for one of ours, the call is rewound like a restarted one (nothing was consumed).
bool eintr_on_stop(long nr);

}  // namespace ckrr
