"""The due-diligence questionnaire cross-check: what a vendor claims about its router, against the probes' evidence.

A claims file (TOML) has one ``[routers.<name>]`` table per router, with any of these claims (:class:`RouterClaims`):

``venues_reached``
    The venues the router reaches. Confirmed when the coverage probe finds every claimed venue reached and every
    other probed venue not reached; contradicted otherwise (with the venues that differ).
``fee_policy``
    ``"fee-blind"`` (take fees never change where it takes) or ``"net-price"`` (it ranks by price plus take fee).
    The price-vs-fee probe confirms "fee-blind" when the router prefers the better price at every fee gap, and
    "net-price" when it flips between the last gap below the one-tick price gap and the first above it.
``sweeps``
    ``true``: it splits a parent across several venues at once when the best quote is too small.
``finds_hidden``
    ``true``: it finds non-displayed liquidity inside the quotes.
``reroutes_on_outage``
    ``true``: it stops sending to a venue that is down and fills elsewhere within 1 s.
``uses_direct_feeds``
    ``true``: its routing does not wait for the SIP. The sip probe confirms it when the router "reads direct feeds"
    and contradicts it when it "relies on the SIP".
``follows_pfof``
    ``true``/``false``: whether its flow follows payment for order flow. The payments probe's finding "follows" (a
    payment tilt of 0.9 or more) confirms true; "ignores" or "does not use" confirms false; "partly follows"
    contradicts false and leaves true not testable here.
``pfof_policy``
    Free text, not testable by the probes here: the incentive test's question (``sorbench run --incentive-test``).

Each claim gets ``confirmed``, ``contradicted`` or ``not testable here`` with the evidence (the probe's finding).
A claim about a router or probe that was not run is "not testable here" too.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.analytics.probe import HIGH, LOW
from harness.errors import UserError

ONE_TICK_USD = 0.01
"""The price gap of the price-vs-fee twins (one penny tick): a net-price rule flips at a fee gap just above it."""
CLAIMS_COLUMNS = ("router", "claim", "claimed", "verdict", "evidence")
CONFIRMED, CONTRADICTED, UNTESTABLE = "confirmed", "contradicted", "not testable here"


class RouterClaims(BaseModel):
    """What a vendor claims about one router (module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    venues_reached: list[str] | None = None
    fee_policy: Literal["fee-blind", "net-price"] | None = None
    sweeps: bool | None = None
    finds_hidden: bool | None = None
    reroutes_on_outage: bool | None = None
    uses_direct_feeds: bool | None = None
    follows_pfof: bool | None = None
    pfof_policy: str | None = Field(None, max_length=500)


class ClaimsFile(BaseModel):
    """A claims file: ``[routers.<name>]`` tables."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    routers: dict[str, RouterClaims]


def load_claims(path: Path) -> ClaimsFile:
    """Read and check a claims file; ``UserError`` naming the file and field on anything wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read it ({exc})") from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise UserError(f"{path}: not valid TOML ({exc})") from None
    try:
        return ClaimsFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise UserError(f"{path}: {loc}: {err['msg']} (value {err.get('input')!r})"[:400]) from None


def _rows(fp: pd.DataFrame, router: str, probe: str) -> pd.DataFrame:
    return fp[(fp["router"] == router) & (fp["probe"] == probe) & ~fp["mean"].isna()]


def _check_venues(rows: pd.DataFrame, claimed: list[str]) -> tuple[str, str]:
    reached = {str(r["target"]) for _, r in rows.iterrows() if r["mean"] >= HIGH}
    missed = {str(r["target"]) for _, r in rows.iterrows() if r["mean"] < LOW}
    probed = set(rows["target"].astype(str))
    wrong_missed = sorted(set(claimed) & missed)
    wrong_reached = sorted(reached - set(claimed))
    unprobed = sorted(set(claimed) - probed)
    if wrong_missed or wrong_reached:
        parts = []
        if wrong_missed:
            parts.append("claimed but not reached: " + ", ".join(wrong_missed))
        if wrong_reached:
            parts.append("reached but not claimed: " + ", ".join(wrong_reached))
        return CONTRADICTED, "; ".join(parts)
    if unprobed or not set(claimed) <= reached:
        return UNTESTABLE, "not probed or partly reached: " + ", ".join(sorted(set(claimed) - reached))
    return CONFIRMED, "reached exactly: " + ", ".join(sorted(reached))


def _check_fee(rows: pd.DataFrame, claimed: str) -> str:
    r = rows.assign(gap=rows["param"].astype(float)).sort_values("gap")
    prefers = (r["mean"] >= HIGH).to_numpy()
    gaps = r["gap"].to_numpy()
    if prefers.all():
        observed = "fee-blind"
    elif prefers[gaps < ONE_TICK_USD].all() and not prefers[gaps > ONE_TICK_USD].any():
        observed = "net-price"
    else:
        observed = "other"
    return CONFIRMED if observed == claimed else CONTRADICTED


def _check_flag(rows: pd.DataFrame, claimed: bool, *, threshold: float) -> str:
    m = float(rows["mean"].mean())  # the payments probe: the mean over its rotations
    if math.isnan(m):
        return UNTESTABLE
    return CONFIRMED if (m >= threshold) == claimed else CONTRADICTED


def _check_words(finding: str, claimed: bool, *, yes: str, no: str) -> str:
    if finding.startswith(yes):
        return CONFIRMED if claimed else CONTRADICTED
    if finding.startswith(no):
        return CONTRADICTED if claimed else CONFIRMED
    return UNTESTABLE


def _check_follows(finding: str, claimed: bool) -> str:
    if finding.startswith("follows"):
        return CONFIRMED if claimed else CONTRADICTED
    if finding.startswith(("ignores", "does not use")):
        return CONTRADICTED if claimed else CONFIRMED
    if finding.startswith("partly follows"):
        return UNTESTABLE if claimed else CONTRADICTED
    return UNTESTABLE


def cross_check(claims: ClaimsFile, fp: pd.DataFrame) -> pd.DataFrame:
    """Every claim of every router against the fingerprint :func:`harness.analytics.probe.fingerprint` made."""
    from harness.analytics.probe import FAILOVER_OK, FOLLOWS

    out: list[dict[str, Any]] = []
    flags = {"sweeps": ("price-vs-size", HIGH), "finds_hidden": ("hidden", HIGH),
             "reroutes_on_outage": ("failover", FAILOVER_OK), "uses_direct_feeds": ("sip", 0.0),
             "follows_pfof": ("payments", FOLLOWS)}
    probes = {"venues_reached": "coverage", "fee_policy": "price-vs-fee", **{k: v[0] for k, v in flags.items()}}
    for router, rc in sorted(claims.routers.items()):
        for claim, claimed in rc.model_dump(exclude_none=True).items():
            verdict, evidence = UNTESTABLE, ""
            if claim == "pfof_policy":
                evidence = "see the incentive test (sorbench run --incentive-test)"
            else:
                rows = _rows(fp, router, probes[claim])
                if rows.empty:
                    evidence = f"the {probes[claim]} probe did not run for {router}"
                elif claim == "venues_reached":
                    verdict, evidence = _check_venues(rows, claimed)
                elif claim == "fee_policy":
                    verdict, evidence = _check_fee(rows, claimed), str(rows["finding"].iloc[0])
                else:
                    evidence = str(rows["finding"].iloc[0])
                    verdict = _check_flag(rows, claimed, threshold=flags[claim][1])
                    if claim == "follows_pfof":
                        verdict = _check_follows(evidence, claimed)
                    if claim == "uses_direct_feeds":  # from the finding: the sip probe's two twins together
                        verdict = _check_words(evidence, claimed, yes="reads direct feeds", no="relies on the SIP")
                if evidence.startswith("not tested"):
                    verdict = UNTESTABLE
            shown = ", ".join(claimed) if isinstance(claimed, list) else str(claimed).lower()
            out.append({"router": router, "claim": claim, "claimed": shown, "verdict": verdict,
                        "evidence": evidence})
    return pd.DataFrame(out, columns=list(CLAIMS_COLUMNS))
