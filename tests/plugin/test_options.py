"""Options, ini keys, environment variables and their one precedence order.

marker / factory argument > command line > environment variable > ini > default
"""

from __future__ import annotations

import pytest

LAYERS = ("ini", "env", "cli", "marker")


def _setup(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, layers: tuple[str, ...], inner_ini: str
) -> list[str]:
    """Configure the profile in each of ``layers``: ini 6.6, env 6.10, cli 7.0, marker 7.2."""
    ini = inner_ini + ("hm_profile = 6.6\n" if "ini" in layers else "")
    pytester.makeini(ini)
    monkeypatch.delenv("MOCKHM_PROFILE", raising=False)
    if "env" in layers:
        monkeypatch.setenv("MOCKHM_PROFILE", "6.10")
    marker = '@pytest.mark.hookmanager(profile="7.2")' if "marker" in layers else ""
    expected = {"ini": "6.6", "env": "6.10", "cli": "7.0", "marker": "7.2"}
    want = next((expected[name] for name in reversed(LAYERS) if name in layers), "7.4")
    session = next(
        (expected[name] for name in reversed(LAYERS) if name in layers and name != "marker"), "7.4"
    )
    pytester.makepyfile(
        f"""
        import pytest

        {marker}
        def test_profile(hookmanager, hookmanager_config, make_hookmanager):
            assert hookmanager.profile.name == {want!r}
            assert make_hookmanager().profile.name == {want!r}
            assert hookmanager_config.profile == {session!r}  # the session's, before markers
            assert make_hookmanager(profile="5.12").profile.name == "5.12"  # factory beats all
        """
    )
    return ["--hm-profile=7.0"] if "cli" in layers else []


@pytest.mark.parametrize(
    "layers",
    [
        (),
        ("ini",),
        ("ini", "env"),
        ("ini", "env", "cli"),
        ("ini", "env", "cli", "marker"),
        ("env", "marker"),
        ("ini", "cli"),
        ("ini", "marker"),
    ],
    ids=lambda layers: "+".join(layers) or "default",
)
def test_profile_precedence(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, layers: tuple[str, ...], inner_ini: str
) -> None:
    args = _setup(pytester, monkeypatch, layers, inner_ini)
    result = pytester.runpytest("-p", "no:randomly", "--strict-markers", *args)
    result.assert_outcomes(passed=1)
    session_layers = [name for name in layers if name != "marker"]
    source = session_layers[-1] if session_layers else "default"
    want = {"ini": "6.6", "env": "6.10", "cli": "7.0", "default": "7.4"}[source]
    result.stdout.fnmatch_lines(
        [f"mockhm *: profile {want} ({source}), seed 0 (default), validate on (default)*"]
    )


def test_header_shows_seed_endpoints_and_validation(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, inner_ini: str
) -> None:
    pytester.makeini(inner_ini + "hm_validate = false\nhm_seed = 3\nhm_scenarios_dir = my-scenarios\n")
    monkeypatch.setenv("MOCKHM_SEED", "11")
    monkeypatch.setenv("MOCKHM_BIND", "127.0.0.1")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "no:randomly")
    result.stdout.fnmatch_lines(
        [
            "mockhm *: profile 7.4 (default), seed 11 (env), validate off (ini), "
            f"endpoints tcp://127.0.0.1:* (env; fresh ports per test), scenarios {pytester.path}/my-scenarios (ini)"
        ]
    )
    result = pytester.runpytest("-p", "no:randomly", "--hm-validate", "--hm-seed=4")
    result.stdout.fnmatch_lines(["mockhm *: profile 7.4 (default), seed 4 (cli), validate on (cli)*"])


def test_validation_flag_reaches_the_hook_manager(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_default(hookmanager, pytestconfig):
            assert hookmanager.hm.validate is (pytestconfig.getoption("hm_validate") is not False)

        @pytest.mark.hookmanager(validate=True)
        def test_marker(hookmanager):
            assert hookmanager.hm.validate is True
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)
    pytester.runpytest("-p", "no:randomly", "--hm-no-validate").assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("env", "MOCKHM_VALIDATE=maybe", "environment variable MOCKHM_VALIDATE: expected a boolean (one of"),
        ("cli", "--hm-seed=-1", "--hm-seed: expected a non-negative integer seed, got '-1'"),
        ("cli", "--hm-bind=tcp://127.0.0.1:5", "--hm-bind: expected an address such as '127.0.0.1'"),
    ],
)
def test_bad_values_are_usage_errors_naming_their_source(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, where: str, value: str, message: str
) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    args = ["-p", "no:randomly"]
    if where == "env":
        name, _, text = value.partition("=")
        monkeypatch.setenv(name, text)
    else:
        args.append(value)
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_unknown_profile_names_the_allowed_ones(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(hookmanager):\n    pass\n")
    result = pytester.runpytest("-p", "no:randomly", "--hm-profile=4.2")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown profile '4.2'; expected one of*'7.4'*"])
