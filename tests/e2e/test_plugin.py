"""Plugin API 1.0 end to end: ckrr installed to a temporary prefix, the example plugin
(examples/plugin) built against that prefix only, then recorded, replayed, replayed from a
checkpoint, restarted, and refused with a missing plugin or another version of it."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from ckrr_testlib import CKRR, CkrrTestCase, prog

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CKRR_BUILD_DIR", os.path.dirname(os.path.dirname(CKRR)))
N = 8


def run(argv, **kw):
    r = subprocess.run(argv, capture_output=True, timeout=600, **kw)
    if r.returncode != 0:
        raise AssertionError(f"{argv} failed:\n{r.stdout.decode()}\n{r.stderr.decode()}")
    return r


class PluginApi(CkrrTestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="ckrr-plugin-")
        cls.prefix = os.path.join(cls.root, "prefix")
        run(["cmake", "--install", BUILD, "--prefix", cls.prefix])
        cls.bin = os.path.join(cls.prefix, "bin", "ckrr")
        cls.plugin = cls.build_example("v1", "1.0")
        cls.plugin2 = cls.build_example("v2", "2.0")

    @classmethod
    def build_example(cls, name, version):
        # A copy of the example outside the source tree, configured with the prefix alone.
        src = os.path.join(cls.root, "src-" + name)
        shutil.copytree(os.path.join(SOURCE, "examples", "plugin"), src)
        out = os.path.join(cls.root, "build-" + name)
        r = run(["cmake", "-S", src, "-B", out, "-DCMAKE_PREFIX_PATH=" + cls.prefix,
                 "-DEXAMPLE_PLUGIN_VERSION=" + version])
        run(["cmake", "--build", out, "--verbose"])
        so = os.path.join(out, "libckrr_example_plugin.so")
        assert os.path.exists(so), r.stdout
        return so

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("CKRR_KEEP_TMP"):
            shutil.rmtree(cls.root, ignore_errors=True)

    def c(self, *args, **kw):
        return subprocess.run([self.bin, *args], capture_output=True, timeout=300, **kw)

    def record(self):
        trace = self.path("t")
        r = self.c("record", "-q", "--checkpoint-interval", "40ms", "--plugin", self.plugin,
                   "-o", trace, "--", prog("uname_calls"), str(N))
        self.assertEqual(r.returncode, 0, r.stderr)
        return trace, r

    def expected(self, first=1):
        return "".join(f"call {i} domain ckrr-example-{i}\n" for i in range(first, N + 1)) + \
            f"done {N}\n"

    def checkpoints(self, trace):
        r = self.c("checkpoints", trace)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [tuple(int(x) for x in line.split()[:2])
                for line in r.stdout.decode().splitlines()[1:]]

    def test_header_is_plain_c(self):
        # Installed alone, it compiles as C99 with every warning.
        inc = os.path.join(self.prefix, "include")
        src = self.path("t.c")
        with open(src, "w") as f:
            f.write("#include <ckrr/plugin.h>\nint main(void) { struct ckrr_plugin p; "
                    "(void)p; return CKRR_PLUGIN_API_VERSION_MAJOR - 1; }\n")
        run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", inc, src,
             "-o", self.path("t")])
        pc = os.path.join(self.prefix, "lib", "pkgconfig", "ckrr-plugin.pc")
        with open(pc) as f:
            self.assertIn("Cflags: -I${includedir}", f.read())

    def test_record_replay_checkpoint_restart(self):
        trace, rec = self.record()
        self.assertEqual(rec.stdout.decode(), self.expected())
        info = self.c("info", trace).stdout.decode()
        self.assertRegex(info, r"plugin: example 1\.0 " + re.escape(self.plugin))
        rep = self.c("replay", trace)
        self.assertEqual(rep.returncode, 0, rep.stderr)
        self.assertEqual(rep.stdout, rec.stdout)

        cps = self.checkpoints(trace)
        self.assertGreaterEqual(len(cps), 2, cps)
        # A checkpoint after some calls and before the last: the replay from it prints the
        # counts the plugin holds, which it only has if its state came back.
        mid = cps[len(cps) // 2][0]
        rep = self.c("replay", trace, "--from-checkpoint", str(mid))
        self.assertEqual(rep.returncode, 0, rep.stderr)
        lines = rep.stdout.decode()
        m = re.match(r"call (\d+) ", lines)
        self.assertIsNotNone(m, lines)
        first = int(m.group(1))
        self.assertGreater(first, 1, lines)
        self.assertEqual(lines, self.expected(first))

        # Restart: the plugin's hook writes a line from inside the restored process, with its
        # restored counter and the pid the program was recorded with.
        pid = re.search(r"process (\d+)", info).group(1)
        rs = self.c("restart", trace, "--checkpoint", str(mid))
        self.assertEqual(rs.returncode, 0, rs.stderr)
        out = rs.stdout.decode().splitlines()
        m = re.fullmatch(r"example plugin: restarted after call (\d+) \(made by thread (\d+)\) "
                         r"as pid (\d+) from checkpoint (\d+) \(resumed (\d+) times before\)",
                         out[0])
        self.assertIsNotNone(m, rs.stdout)
        self.assertEqual(int(m.group(1)), first - 1)
        self.assertEqual(m.group(2), pid)  # the id table came back with the checkpoint
        self.assertEqual(m.group(3), pid)
        # pre_checkpoint ran before each checkpoint's save_state, resume after each.
        self.assertEqual(int(m.group(4)), mid)
        self.assertEqual(int(m.group(5)), mid - 1)
        # Live after the restart: the kernel's uname, not the plugin's (it only records).
        self.assertEqual([re.sub(r"domain .*", "", x) for x in out[1:-1]],
                         [f"call {i} " for i in range(first, N + 1)])
        self.assertEqual(out[-1], f"done {N}")

    def test_other_set_refused(self):
        trace, rec = self.record()
        # Another version of the plugin.
        r = self.c("replay", trace, "--plugin", self.plugin2)
        self.assertEqual(r.returncode, 125)
        self.assertIn("plugin example is version 2.0", r.stderr.decode())
        self.assertIn("the recording used version 1.0", r.stderr.decode())
        r = self.c("restart", trace, "--plugin", self.plugin2)
        self.assertEqual(r.returncode, 125)
        self.assertIn("the recording used version 1.0", r.stderr.decode())
        # The recorded .so gone.
        moved = self.plugin + ".moved"
        os.rename(self.plugin, moved)
        try:
            r = self.c("replay", trace)
            self.assertEqual(r.returncode, 125)
            err = r.stderr.decode()
            self.assertIn("cannot load it", err)
            self.assertIn("was made with plugins: example 1.0 from " + self.plugin, err)
            r = self.c("debug", trace, "--batch", "bt")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("cannot load it", r.stderr.decode())
        finally:
            os.rename(moved, self.plugin)
        # No plugin at all is not the recorded set either: an empty CKRR_PLUGINS does not count
        # as a choice, so name a plugin the trace lacks through a trace recorded without any.
        plain = self.path("plain")
        r = self.c("record", "-q", "-o", plain, "--", prog("uname_calls"), "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.c("replay", plain, "--plugin", self.plugin)
        self.assertEqual(r.returncode, 125)
        self.assertIn("was not loaded when recording", r.stderr.decode())

    def test_env_and_clash(self):
        trace = self.path("t")
        env = dict(os.environ, CKRR_PLUGINS=self.plugin)
        r = self.c("record", "-q", "-o", trace, "--", prog("uname_calls"), "2", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ckrr-example-2", r.stdout.decode())
        # Two plugins claiming uname (another version of the same one is also the same name).
        r = self.c("record", "-q", "-o", self.path("t2"), "--plugin", self.plugin, "--plugin",
                   self.plugin2, "--", prog("uname_calls"), "1")
        self.assertEqual(r.returncode, 125)
        self.assertIn("plugin example given twice", r.stderr.decode())
        # A plugin built for another major version of the API.
        src = self.path("v2.c")
        with open(src, "w") as f:
            f.write("#include <ckrr/plugin.h>\n"
                    "int ckrr_plugin_init(const struct ckrr_host *h, struct ckrr_plugin *p) {\n"
                    "  (void)h; p->api_major = 2; p->api_minor = 0; p->name = \"future\";\n"
                    "  p->version = \"1\"; return 0; }\n")
        so = self.path("future.so")
        run(["cc", "-shared", "-fPIC", "-I", os.path.join(self.prefix, "include"), src, "-o", so])
        r = self.c("record", "-q", "-o", self.path("t4"), "--plugin", so, "--",
                   prog("uname_calls"), "1")
        self.assertEqual(r.returncode, 125)
        self.assertIn("was built for plugin API 2.0; this ckrr has plugin API 1.0",
                      r.stderr.decode())
        r = self.c("record", "-q", "-o", self.path("t3"), "--plugin", "/nonexistent.so", "--",
                   prog("uname_calls"), "1")
        self.assertEqual(r.returncode, 125)
        self.assertIn("plugin /nonexistent.so: cannot load it", r.stderr.decode())


if __name__ == "__main__":
    unittest.main()
