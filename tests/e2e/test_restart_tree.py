"""ckrr restart of a checkpoint group: a tree of processes connected by pipes, recorded with
checkpoints, the recorder SIGKILLed (its processes die with it), restarted as a whole: parent
and child relations, recorded pids and the pipes with their bytes in flight come back, and the
work finishes as an uninterrupted run does."""
import collections
import re
import signal
import subprocess
import time
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog


class RestartTree(CkrrTestCase):
    def record_until_group(self, trace, argv, processes, groups=2):
        """Records argv and SIGKILLs the recorder once `groups` checkpoints of `processes`
        processes each (one checkpoint per process at one event) are listed. Returns the
        recorder's stdout."""
        p = subprocess.Popen([CKRR, "record", "-q", "--checkpoint-interval", "100ms", "-o", trace,
                              "--", *argv],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 120
            while True:
                per_event = collections.Counter(ev for _, ev in self.checkpoints(trace, recording=True))
                if sum(1 for n in per_event.values() if n >= processes) >= groups:
                    break
                self.assertIsNone(p.poll(), "the program finished before its group checkpoints")
                self.assertLess(time.monotonic(), deadline, "no group checkpoints in 120 s")
                time.sleep(0.02)
            p.send_signal(signal.SIGKILL)  # the processes die with it (PTRACE_O_EXITKILL)
        finally:
            out, _ = p.communicate(timeout=60)
        return out

    def restart(self, trace):
        r = self.ckrr("restart", trace)
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, err)
        return r.stdout.decode(), err

    def test_parent_and_child_over_a_pipe(self):
        err = self.parent_and_child([])
        self.assertIn("2 processes restored with 1 pipe between them", err)

    def test_parent_and_child_over_a_socketpair(self):
        err = self.parent_and_child(["20", "socket"])
        self.assertIn("2 processes restored with 0 pipes between them", err)
        self.assertIn("and 1 connected unix socket pair", err)

    def test_socketpair_bytes_in_flight(self):
        # Bytes queued in a socketpair at the checkpoint (here both ends in one process, one
        # message each way) are queued again after the restart: exit 7 only if they are.
        trace = self.path("t")
        script = ("import os,socket,time\n"
                  "a,b=socket.socketpair()\n"
                  "a.send(b'to b'); b.send(b'to a!')\n"
                  "a.setblocking(False); b.setblocking(False)\n"
                  "for i in range(40):\n"
                  "    time.sleep(0.01)\n"
                  "os._exit(7 if (b.recv(100), a.recv(100)) == (b'to b', b'to a!') else 3)\n")
        rec = self.ckrr("record", "-q", "--checkpoint-interval", "50ms", "-o", trace, "--",
                        "/usr/bin/python3", "-c", script)
        self.assertEqual(rec.returncode, 7, rec.stderr)
        # The one before the last: the last may fall between the final reads and the exit.
        cps = self.checkpoints(trace, recording=True)
        self.assertGreater(len(cps), 2)
        r = self.ckrr("restart", trace, "--checkpoint", str(cps[-2][0]))
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 7, err)
        self.assertIn("and 1 connected unix socket pair", err)

    def test_listening_socket_listens_again(self):
        # A TCP listener on an ephemeral loopback port, killed while it waits: after the restart
        # it listens on the same port (a connection to it is accepted and carries a message).
        trace = self.path("t")
        script = ("import socket,sys,time\n"
                  "l=socket.socket(); l.bind(('127.0.0.1',0)); l.listen(4)\n"
                  "port=l.getsockname()[1]\n"
                  "print(port, flush=True)\n"
                  "for i in range(300): time.sleep(0.01)\n"
                  "c=socket.create_connection(('127.0.0.1',port)); s,_=l.accept(); c.send(b'hi')\n"
                  "ok = s.recv(10)==b'hi' and l.getsockname()[1]==port\n"
                  "print('ok' if ok else 'bad', flush=True)\n")
        rec = self.record_until_group(trace, ["/usr/bin/python3", "-c", script], 1, groups=3)
        port = int(rec.decode().split()[0])
        stdout, err = self.restart(trace)
        self.assertIn("1 listening socket listen again", err)
        self.assertEqual(stdout, "ok\n", err)
        self.assertNotEqual(port, 0)

    def test_shell_with_an_orphan_forks_and_execs_after_restart(self):
        # sh with an orphaned background loop (its parent subshell exited: a second root) and a
        # loop of its own, both running `sleep` (fork + exec) after the restart: the programs
        # they exec read the clock with rdtsc, which must keep working unsupervised.
        script = self.path("mr.sh")
        f1, f2 = self.path("f1"), self.path("f2")
        with open(script, "w") as f:
            f.write(f"( ( i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo $i >> {f1}; "
                    "sleep 0.02; done ) & )\n"
                    f"i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo $i >> {f2}; sleep 0.02; "
                    "done\n"
                    f"while [ \"$(wc -l < {f1})\" -lt 100 ]; do sleep 0.05; done\n"
                    "echo finished\n")
        trace = self.path("t")
        self.record_until_group(trace, ["/bin/sh", script], 2, groups=2)
        stdout, err = self.restart(trace)
        self.assertNotIn("Segmentation fault", err)
        self.assertEqual(stdout, "finished\n", err)
        for path in (f1, f2):
            with open(path) as f:
                # Each echo opens the file anew: a line written after the checkpoint by the
                # killed run is written again (no fd of it was open at the checkpoint).
                self.assertEqual(sorted(set(int(x) for x in f.read().split())),
                                 list(range(1, 101)))

    def test_tcp_loopback_between_parent_and_child(self):
        # A parent serving its child over TCP on loopback (numbers one way, acks the other),
        # killed mid-way: the connection between the restored pair is made again (and the
        # parent's listener listens again); every ack matches and the child ends with 0.
        n = 100
        script = ("import os,socket,sys,time\n"
                  "l=socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                  "l.bind(('127.0.0.1',0)); l.listen(4)\n"
                  "port=l.getsockname()[1]\n"
                  "pid=os.fork()\n"
                  "if pid==0:\n"
                  "    l.close()\n"
                  "    c=socket.create_connection(('127.0.0.1',port))\n"
                  "    n=0\n"
                  "    for line in c.makefile('rb'):\n"
                  "        n+=1\n"
                  "        c.sendall(b'ack %d\\n' % int(line))\n"
                  "    os._exit(0 if n==int(sys.argv[1]) else 5)\n"
                  "s,_=l.accept()\n"
                  "f=s.makefile('rb')\n"
                  "for i in range(1,int(sys.argv[1])+1):\n"
                  "    s.sendall(b'%d\\n' % i)\n"
                  "    a=f.readline()\n"
                  "    if a!=b'ack %d\\n' % i: print('bad', a, i, flush=True); os._exit(3)\n"
                  "    time.sleep(0.02)\n"
                  "s.shutdown(socket.SHUT_WR)\n"
                  "_,st=os.waitpid(pid,0)\n"
                  "print('ok', st, flush=True)\n")
        trace = self.path("t")
        rec = self.record_until_group(trace, ["/usr/bin/python3", "-c", script, str(n)], 2)
        self.assertEqual(rec, b"", "the recording was not cut short")
        stdout, err = self.restart(trace)
        self.assertIn("1 TCP connection re-created", err)
        self.assertEqual(stdout, "ok 0\n", err)

    def parent_and_child(self, extra):
        """pipe_tree (a parent counting into a pipe or socketpair, its child appending what it
        reads to a file) killed and restarted. Returns the restart's stderr."""
        n = 150
        trace, out = self.path("t"), self.path("count.txt")
        rec = self.record_until_group(trace, [prog("pipe_tree"), out, str(n), *extra], 2).decode()
        m = re.match(r"parent (\d+) child (\d+)\n", rec)
        self.assertIsNotNone(m, rec)
        parent, child = int(m.group(1)), int(m.group(2))
        self.assertNotIn("done", rec, "the recording was not cut short")
        with open(out) as f:
            before = len(f.read().splitlines())
        self.assertLess(before, n)

        stdout, err = self.restart(trace)
        self.assertIn(f"the program keeps pid {parent}", err)
        self.assertIn(f"the program keeps pid {child}", err)
        # wait4 in the restored parent reaps the restored child under its recorded pid, with the
        # status it exited with; the fork's answer saved in the parent's memory agrees.
        self.assertEqual(stdout, f"done {n} child={child} fork={child} status=7\n", err)
        # Every number went through the pipe once, and getppid in the restarted child answered
        # the recorded parent all along.
        with open(out) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines, [f"{i} ppid={parent}" for i in range(1, n + 1)])
        return err

    def test_pipeline_finishes_with_the_native_result(self):
        cmd = "seq 1 30000000 | gzip -1 | sha256sum"
        native = subprocess.run(["sh", "-c", cmd], capture_output=True, timeout=300)
        self.assertEqual(native.returncode, 0)
        self.assertRegex(native.stdout.decode(), r"^[0-9a-f]{64}  -\n$")
        trace = self.path("t")
        rec = self.record_until_group(trace, ["sh", "-c", cmd], 4)
        self.assertEqual(rec, b"", "the recording was not cut short")
        stdout, err = self.restart(trace)
        self.assertRegex(err, r"4 processes restored with 2 pipes between them")
        self.assertEqual(stdout, native.stdout.decode(), err)


if __name__ == "__main__":
    unittest.main()
