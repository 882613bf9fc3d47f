"""Replaying cached layer scores under other harm settings (careguide.eval.safety_layers.replay)."""

from __future__ import annotations

from careguide.eval.safety_layers import HarmSettings, replay


def row(kind: str, p: float, health: bool, sem: tuple[float, float] = (0.0, 0.0), **layers: str) -> dict:
    return {
        "kind": kind,
        "source": "set",
        "harm_p": p,
        "about_health": health,
        "sem_harm": [sem[0], "violence", sem[1]],
        "layers": {name: [action, ""] for name, action in layers.items()},
    }


SETTINGS = HarmSettings(
    threshold=0.8, outside_scope=0.9, exemplar_threshold=0.5, exemplar_margin=0.1, gate=0.5
)


def test_each_threshold_reads_its_own_messages():
    rows = [
        row("harmful", 0.85, True),
        row("harmful", 0.85, False, scope="refuse"),
        row("harmful", 0.95, False),
    ]
    counts = replay(rows, SETTINGS)["harmful:set"]
    # In scope 0.85 >= 0.8 stops; outside scope it does not (0.9), but the scope redirect answers nothing.
    assert counts == {"stopped": 2, "not_answered": 3, "total": 3}


def test_the_exemplar_layer_needs_similarity_margin_and_the_gate():
    rows = [
        row("safe", 0.6, True, sem=(0.7, 0.5)),  # all three: stopped
        row("safe", 0.4, True, sem=(0.7, 0.5)),  # below the gate
        row("safe", 0.6, True, sem=(0.7, 0.65)),  # too close to a benign exemplar
        row("safe", 0.6, True, sem=(0.45, 0.2)),  # not similar enough
    ]
    assert replay(rows, SETTINGS)["safe:set"]["stopped"] == 1


def test_other_safety_layers_stop_whatever_the_harm_settings_and_new_probabilities_replace_the_cached():
    rows = [row("safe", 0.0, True, crisis_model="escalate"), row("safe", 0.0, True, scope="refuse")]
    assert replay(rows, SETTINGS)["safe:set"] == {"stopped": 1, "not_answered": 2, "total": 2}
    assert replay(rows, SETTINGS, harm_p=[0.0, 0.99])["safe:set"]["stopped"] == 2
