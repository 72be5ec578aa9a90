"""The project as a newcomer meets it: the README's set-up, the extras each job needs, PyTorch as a
CPU-only cross-check, the message of an unbuilt source tree, and a contributor's checkout set up
by the one documented command in a throwaway virtual environment, where the README's and the
contributor guide's commands are then run as a contributor would run them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONTRIBUTOR = (ROOT / "docs" / "guides" / "contributor.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
# Build artefacts and caches: a fresh clone has none of them.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", "*.so", "*.c", "build", "dist", "*.egg-info", "__pycache__", "_build", "runs",
    ".pytest_cache", ".ruff_cache",
)  # fmt: skip
CUDA_PACKAGES = re.compile(r"^(torch|nvidia-.*|triton|pytorch-triton.*)$", re.IGNORECASE)


def _bash_blocks(markdown: str) -> list[list[str]]:
    """The commands of each ```bash block, comments and blank lines dropped."""
    blocks = re.findall(r"^```bash\n(.*?)^```", markdown, re.MULTILINE | re.DOTALL)
    return [
        [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]
        for block in blocks
    ]


def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirement_name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0)


SETUP = _bash_blocks(README)[0]
CONTRIBUTOR_SETUP = _bash_blocks(CONTRIBUTOR)[0]


# -- the README's set-up ---------------------------------------------------------------------------


def test_readme_sets_up_in_two_commands_the_second_is_what_ci_runs() -> None:
    assert len(SETUP) == 2
    main_job, tests = SETUP
    assert main_job == "pip install . && cnnref verify"
    ci_commands = [line for line in CI.splitlines() if line and not line.startswith((" ", "#"))]
    assert tests in ci_commands


def test_readme_names_the_extras_of_each_job() -> None:
    extras = _pyproject()["project"]["optional-dependencies"]
    table = README[README.index("What each job needs") :].split("\n\n", 2)[1]
    for extra in extras:
        assert f"`{extra}` extra" in table, f"the README's table never says what {extra!r} is for"
    plot_row = next(line for line in table.splitlines() if "--plot" in line)
    assert '".[train]"' in plot_row


def test_no_extra_pulls_pytorch_or_cuda_packages() -> None:
    """PyPI's default torch on Linux is the CUDA build: no extra may require it (or CUDA itself);
    the README gives the command for the CPU build instead."""
    extras = _pyproject()["project"]["optional-dependencies"]
    for extra, requirements in extras.items():
        pulled = [r for r in requirements if CUDA_PACKAGES.match(_requirement_name(r))]
        assert pulled == [], f"the {extra!r} extra requires {pulled}"
    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in README


def test_ci_installs_pytorch_as_the_cpu_build_or_not_at_all() -> None:
    pins = re.findall(r'pip install [^\n]*"torch==([^"]+)"', CI)
    assert pins and all(pin.endswith("+cpu") for pin in pins), pins


def test_readme_and_contributor_guide_give_the_same_contributor_command() -> None:
    assert CONTRIBUTOR_SETUP == ['pip install -e ".[test,train,docs]"']
    assert CONTRIBUTOR_SETUP[0] in _bash_blocks(README)[1]


# -- a source tree without its kernels -------------------------------------------------------------


def test_unbuilt_source_tree_says_what_is_missing_and_how_to_build(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "cnnref", tmp_path / "cnnref", ignore=NOT_IN_A_CLONE)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", "import cnnref"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if re.match(r"^\w+Error: ", line)]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("ImportError: cnnref's compiled Cython kernels are not built")
    assert str(tmp_path / "cnnref" / "kernels") in errors[0]
    assert "cnnref.kernels.conv" in errors[0] and "cnnref.kernels.softmax" in errors[0]
    assert f"`{CONTRIBUTOR_SETUP[0]}`" in errors[0]
    assert "python setup.py build_ext --inplace" in errors[0]
    assert "circular import" not in result.stderr
    assert "During handling" not in result.stderr


def _session_package_roots() -> list[str]:
    """The folders this session imports cnnref and verify from."""
    import cnnref
    import verify

    return sorted({str(Path(module.__file__).resolve().parents[1]) for module in (cnnref, verify)})


# -- PyTorch is optional ---------------------------------------------------------------------------

TORCH_TESTS = [
    "tests/cnnref/test_activations.py",
    "tests/cnnref/nn/test_seed_step.py",
    "tests/cnnref/bench/test_race.py",
]


def test_cross_check_tests_skip_cleanly_without_pytorch(tmp_path: Path) -> None:
    """With ``import torch`` failing as it does where PyTorch is not installed, the files that
    cross-check against it pass their other tests and skip those, saying why."""
    blocker = tmp_path / "no_torch"
    blocker.mkdir()
    (blocker / "torch.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n", encoding="utf-8"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(blocker), *_session_package_roots()])
    options = ["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-rs", f"--rootdir={ROOT}"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *options, *(str(ROOT / test) for test in TORCH_TESTS)],
        # Not the checkout: `python -m` puts the working directory first on sys.path, and this
        # must import the cnnref this session tests (installed, or the checkout built in place).
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed, \d+ skipped", summary), summary
    assert "could not import 'torch'" in result.stdout


# -- a contributor's checkout ----------------------------------------------------------------------


def _copy_of_the_checkout(destination: Path) -> Path:
    checkout = destination / "cnnref-checkout"
    shutil.copytree(ROOT, checkout, ignore=NOT_IN_A_CLONE)
    return checkout


def _readme_api_example() -> str:
    blocks = re.findall(r"^```python\n(.*?)^```", README, re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1
    return blocks[0]


def test_contributor_checkout_works_after_the_one_documented_command(tmp_path: Path) -> None:
    """Copy the checkout (no build artefacts), make a virtual environment that sees this
    interpreter's packages (so nothing is downloaded but the build's own requirements), run the
    contributor command verbatim, then the README's and the guide's commands from the checkout."""
    checkout = _copy_of_the_checkout(tmp_path)
    environment = tmp_path / "venv"
    venv.create(environment, system_site_packages=True, with_pip=True)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["VIRTUAL_ENV"] = str(environment)
    env["PATH"] = os.pathsep.join([str(environment / "bin"), env.get("PATH", "")])

    def run(command: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
        return result

    run(CONTRIBUTOR_SETUP[0], timeout=1200)
    located = run('python -c "import cnnref, verify; print(cnnref.__file__, verify.__file__)"')
    assert located.stdout.split() == [
        str(checkout / "cnnref" / "__init__.py"),
        str(checkout / "verify" / "__init__.py"),
    ]
    (checkout / "readme_example.py").write_text(_readme_api_example(), encoding="utf-8")
    run("python readme_example.py")
    assert "cnnref" in run("cnnref --help").stdout
    false_failures = run("python benchmarks/false_failures.py --cases 20 --mode screen --jobs 1")
    assert false_failures.stdout.startswith("0 false failures in 20 cases")
    for script in ("benchmarks/bench_seed.py", "benchmarks/train_race.py"):
        assert "usage:" in run(f"python {script} --help").stdout
    tests = run("python -m pytest -q -p no:cacheprovider tests/cnnref/kernels/test_compiled.py")
    assert re.search(r"\d+ passed", tests.stdout)
    for command in _bash_blocks(CONTRIBUTOR)[2]:
        assert command.startswith("python -m sphinx"), command
        run(command)
    built = checkout / "docs" / "_build"
    assert (built / "html" / "derivations" / "convolution.html").is_file()
    assert (built / "html" / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert "0 failures in tests" in (built / "doctest" / "output.txt").read_text(encoding="utf-8")
