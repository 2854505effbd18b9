"""The best-execution committee's review policy: the strict TOML file's model, its built-in defaults and loading.

``scenarios/policy/review-thresholds.toml`` is the documented default; the same values are built in, so the project
runs without it. ``load_policy`` reads and validates a file (a mistake is a one-line ``UserError``); the rules it
holds are evaluated in :mod:`harness.analytics.review_rules` and the exception report's settings are used in
:mod:`harness.analytics.review_exceptions`. Definitions: docs/analytics.md, *Review policy*.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from harness.analytics.conflict import ConflictParams
from harness.paths import INSTALLED_SCENARIOS, REPO_SCENARIOS
from harness.scenario.reading import read_toml, validation_errors
from harness.scenario.strict import _FieldError

ALL = "all"
"""The order-class name that stands for every order class."""
POLICY_RELATIVE = Path("policy") / "review-thresholds.toml"
"""The default policy, relative to ``scenarios/`` in the repository (``harness/_scenarios/`` when installed)."""

FigureName = Literal["pi_per_share", "effective_spread", "eq_ratio", "fill_rate", "orders_filled_frac",
                     "shortfall_per_share", "time_to_first_fill_ms", "markout_1s"]
ClassName = Literal["all", "market", "marketable_limit", "nml_beyond_midpoint", "nml_at_or_inside_quote",
                    "nml_near_quote", "nml_away", "ioc", "unknown"]


def _classes(*names: ClassName) -> list[ClassName]:
    return list(names)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False, validate_default=True)


class FigureRule(_Strict):
    """A figure over some order classes against a benchmark, with the margins that trigger review and fail."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$")
    name: str = Field("", description="The rule's human name in reports and on the console (default: its figure "
                      "and orders in words); the id is shown beside it.")
    description: str = ""
    figure: FigureName
    order_classes: list[ClassName] = Field(default_factory=lambda: _classes("all"), min_length=1)
    benchmark: Literal["reference"] | float = "reference"
    fallback: float | None = Field(None, description="Benchmark value when no reference router is in the run.")
    relative: bool = Field(False, description="Margins are fractions of the benchmark value, not figure units.")
    review_margin: float = Field(0.0, ge=0)
    fail_margin: float = Field(0.0, ge=0)
    by_symbol: bool = False

    @field_validator("benchmark", mode="before")
    @classmethod
    def _benchmark(cls, v: object) -> object:
        if v == "reference" or (isinstance(v, int | float) and not isinstance(v, bool)):
            return float(v) if isinstance(v, int) else v
        raise ValueError('must be "reference" or a number')

    @model_validator(mode="after")
    def _margins(self) -> FigureRule:
        if self.fail_margin < self.review_margin:
            raise _FieldError("fail_margin", f"{self.fail_margin} is below review_margin {self.review_margin}")
        return self


class PayingVenueRule(_Strict):
    """Share of routed shares to paying venues above a limit while the price improvement there is not better."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$")
    name: str = Field("", description="The rule's human name in reports and on the console (default: its figure "
                      "and orders in words); the id is shown beside it.")
    description: str = ""
    order_classes: list[ClassName] = Field(default_factory=lambda: _classes("all"), min_length=1)
    review_share: float = Field(ge=0, le=1)
    fail_share: float = Field(ge=0, le=1)
    quality_margin_cph: float = Field(0.0, ge=0, description="PI at paying venues must beat elsewhere by more.")

    @model_validator(mode="after")
    def _shares(self) -> PayingVenueRule:
        if self.fail_share < self.review_share:
            raise _FieldError("fail_share", f"{self.fail_share} is below review_share {self.review_share}")
        return self


class ConflictSection(_Strict):
    """The conflict flag's thresholds (see ``harness.analytics.conflict``)."""

    paying_share_limit: float = Field(0.5, ge=0, le=1)
    elasticity_threshold_pts: float = Field(1.0, ge=0)


class BrokerSection(_Strict):
    """The broker's rebate ledger: who gets exchange rebates and pays access fees (see docs/analytics.md)."""

    rebates: Literal["retained", "passed-through"] = Field(
        "retained", description="retained: the broker keeps rebates and pays fees (customer figures carry neither, "
        "rebate-following routing is a conflict channel); passed-through: both are the customer's.")


class ExceptionSection(_Strict):
    """The exception report's rules."""

    latency_percentile: float = Field(99.0, gt=0, le=100)
    latency_classes: list[ClassName] = Field(default_factory=lambda: _classes("market", "marketable_limit", "ioc"))
    pi_ticks_below: float = Field(1.0, ge=0)
    marketable_min_fill_rate: float = Field(0.5, ge=0, le=1)
    min_venue_share: float = Field(0.01, ge=0, le=1)


def _default_rules() -> list[FigureRule]:
    return [
        FigureRule(id="pi-marketable", name="Price improvement on marketable orders",
                   figure="pi_per_share", order_classes=["market", "marketable_limit"],
                   fallback=0.0, review_margin=0.0005, fail_margin=0.002, by_symbol=True,
                   description="Price improvement per share on market and marketable limit orders."),
        FigureRule(id="eq-marketable", name="Effective over quoted spread on marketable orders",
                   figure="eq_ratio", order_classes=["market", "marketable_limit"],
                   fallback=1.0, review_margin=0.05, fail_margin=0.2,
                   description="Effective over quoted spread on market and marketable limit orders."),
        FigureRule(id="speed-marketable", name="Speed to first fill of marketable orders",
                   figure="time_to_first_fill_ms", order_classes=["market", "marketable_limit"],
                   relative=True, review_margin=0.5, fail_margin=1.0,
                   description="Time to first fill of marketable orders: 50% slower -> review, twice as slow -> fail."),
        FigureRule(id="fill-marketable", name="Fill rate of marketable orders",
                   figure="fill_rate", order_classes=["market", "marketable_limit"],
                   fallback=1.0, review_margin=0.02, fail_margin=0.1,
                   description="Share of marketable orders' shares executed."),
        FigureRule(id="fill-limit", name="Fill rate of non-marketable limit orders",
                   figure="fill_rate",
                   order_classes=["nml_beyond_midpoint", "nml_at_or_inside_quote", "nml_near_quote"],
                   review_margin=0.05, fail_margin=0.15,
                   description="Share of non-marketable limit orders' shares executed (away orders excluded)."),
        FigureRule(id="shortfall-all", name="Implementation shortfall on all orders",
                   figure="shortfall_per_share", review_margin=0.001, fail_margin=0.005,
                   description="Implementation shortfall per share over every order."),
    ]


def _default_paying_rules() -> list[PayingVenueRule]:
    return [PayingVenueRule(id="paying-venues-marketable", name="Marketable flow to paying venues",
                   order_classes=["market", "marketable_limit"],
                            review_share=0.5, fail_share=0.8, quality_margin_cph=0.0,
                            description="Marketable flow to venues that pay for it, while its price improvement there "
                            "is not better than the reference router's on the same orders.")]


CONFLICT_FREE_REFERENCES = ("best-price", "sequential", "spray", "dark-first", "dark-allocator", "censored-dark")
"""The conflict-free reference routers: every choice rests on displayed price, size, queue or fill history, ties
broken by the venue name, never by fees, rebates or payment for order flow (docs/routers.md). Not wholesaler (the
wholesalers it routes to pay for the flow), post-then-take (it rests where the maker rebate is largest),
cont-kukanov (its objective credits maker rebates and charges take fees), rebate-max (conflicted by design), random
(the null) or single-venue (the naive baseline)."""
DEFAULT_BENCHMARK = "best-price"
"""The review's benchmark router unless the policy names another (``benchmark_router``)."""


class ReviewPolicy(_Strict):
    """The committee's review policy; every field has the documented default."""

    version: Literal[1] = 1
    benchmark_router: str = Field(DEFAULT_BENCHMARK, min_length=1,
                                  description="The router every figure rule's 'reference' benchmark is.")
    reference_routers: list[str] = Field(default_factory=lambda: list(CONFLICT_FREE_REFERENCES), min_length=1)
    ci_level: float = Field(0.95, ge=0.5, lt=1)
    conflict: ConflictSection = Field(default_factory=ConflictSection)
    broker: BrokerSection = Field(default_factory=BrokerSection)
    exceptions: ExceptionSection = Field(default_factory=ExceptionSection)
    rules: list[FigureRule] = Field(default_factory=_default_rules)
    paying_venue_rules: list[PayingVenueRule] = Field(default_factory=_default_paying_rules)

    @model_validator(mode="after")
    def _unique_ids(self) -> ReviewPolicy:
        seen: set[str] = set()
        every: list[FigureRule | PayingVenueRule] = [*self.rules, *self.paying_venue_rules]
        for i, rule in enumerate(every):
            if rule.id in seen:
                where = f"rules[{i}]" if i < len(self.rules) else f"paying_venue_rules[{i - len(self.rules)}]"
                raise _FieldError(f"{where}.id", f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
        return self

    def conflict_params(self) -> ConflictParams:
        """The conflict flag's parameters under this policy."""
        return ConflictParams(reference_routers=tuple(self.reference_routers),
                              paying_share_limit=self.conflict.paying_share_limit,
                              elasticity_threshold_pts=self.conflict.elasticity_threshold_pts,
                              ci_level=self.ci_level, rebates=self.broker.rebates)


def default_policy_path() -> Path | None:
    """The shipped default policy file: the repository's ``scenarios/`` or the installed package's copy."""
    for candidate in (REPO_SCENARIOS / POLICY_RELATIVE, INSTALLED_SCENARIOS / POLICY_RELATIVE):
        if candidate.is_file():
            return candidate
    return None


def load_policy(path: Path | str | None = None) -> ReviewPolicy:
    """Read and validate a policy file; ``None`` loads the default file, or the built-in defaults without it.

    A mistake is a ``UserError`` of one line naming the file, the field and the value.
    """
    p = Path(path) if path is not None else default_policy_path()
    if p is None:
        return ReviewPolicy()
    data = read_toml(p, what="policy file")
    try:
        return ReviewPolicy.model_validate(data)
    except ValidationError as err:
        raise validation_errors(str(p), err) from None

