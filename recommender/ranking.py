"""The recommender a simulation serves: slates from a ranking model, a green re-rank, and
scheduled retraining with an honest comparison against popularity.

Both models (:class:`~recommender.models.Popularity` and the learned
:class:`~recommender.models.Learned`) are refitted at every :meth:`Recommender.retrain` on
all the feedback logged so far (clicks weigh ``CLICK_WEIGHT``, purchased units
``BUY_WEIGHT``); one of them serves the slates. Before refitting, each of the previous
models is scored on the held-out purchases made since it was fitted, which it has never
seen: the hit rate at k (k = the slate size) over the whole catalog, without the green
boost. That is the same-run comparison of the learned model against the popularity
baseline. The simulation holds out the purchases of exploration sessions only (slates no
model chose): purchases from served slates follow what the serving model showed, and would
score it well for having shown it (the feedback loop of logged-data evaluation).

Serving ranks a session's candidates by the serving model's score, multiplied for a green
product by ``1 + green_boost x green_likely / prior mean``: consumers whose purchases lean
green get more of a boost, a new consumer the plain ``green_boost``. The learned model scores
with the consumer's live history (what they clicked and bought up to this session) against
the similarities of its last fit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .models import Interactions, Learned, Popularity, green_likely

CLICK_WEIGHT = 1.0
BUY_WEIGHT = 3.0
#: Beta prior (a, b) of the green-likely score: a new consumer counts as 20% green.
GREEN_PRIOR = (1.0, 4.0)


@dataclass(frozen=True)
class TrainingReport:
    """What one retraining saw and how the previous models did on the purchases since."""

    interactions: int  # feedback entries fitted on (clicks + purchase lines)
    purchases: int  # purchase lines among them
    held_out: int  # purchase lines scored (made since the previous fit)
    hit_rate_popularity: float | None  # None when there was nothing to score
    hit_rate_learned: float | None


def _empty() -> Interactions:
    return Interactions(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))


class Recommender:
    """Serves slates to ``consumers`` consumers over the items flagged by ``green``."""

    def __init__(
        self,
        green: np.ndarray,
        appeal: np.ndarray,
        category: np.ndarray,
        consumers: int,
        *,
        model: str = "popularity",
        green_boost: float = 0.0,
        slate_size: int = 10,
    ) -> None:
        if model not in ("popularity", "learned"):
            raise ValueError(f"model must be 'popularity' or 'learned', got {model!r}")
        self.green = np.asarray(green, bool)
        self.appeal = np.asarray(appeal, float)
        self.category = np.asarray(category, np.int64)
        self.consumers = consumers
        self.model = model
        self.green_boost = green_boost
        self.k = slate_size
        self._c: list[int] = []
        self._i: list[int] = []
        self._w: list[float] = []
        self._buy_c: list[int] = []
        self._buy_i: list[int] = []
        self._held: list[tuple[int, int]] = []
        self.live: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        self.popularity = Popularity(self.green, self.appeal).fit(_empty(), consumers)
        self.learned = Learned(self.green, self.category, self.appeal).fit(_empty(), consumers)
        self.boost_scale = np.ones(consumers)
        self.trainings = 0

    # -- feedback -------------------------------------------------------------------------

    def click(self, consumer: int, item: int) -> None:
        self._log(consumer, item, CLICK_WEIGHT)

    def purchase(self, consumer: int, item: int, quantity: int = 1, *, held_out: bool = True) -> None:
        """Log a purchase; ``held_out`` ones are also scored at the next retraining (pass False
        for purchases from slates the serving model chose, which would flatter it)."""
        self._log(consumer, item, BUY_WEIGHT * quantity)
        self._buy_c.append(consumer)
        self._buy_i.append(item)
        if held_out:
            self._held.append((consumer, item))

    def _log(self, consumer: int, item: int, weight: float) -> None:
        self._c.append(consumer)
        self._i.append(item)
        self._w.append(weight)
        self.live[consumer][item] += weight

    # -- serving --------------------------------------------------------------------------

    def scores(self, consumer: int, items: np.ndarray) -> np.ndarray:
        """The serving model's scores of ``items`` for ``consumer``, green re-rank included."""
        if self.model == "learned":
            h = self.live.get(consumer)
            h = h or {}
            history = (np.fromiter(h.keys(), np.int64, len(h)), np.fromiter(h.values(), float, len(h)))
            s = self.learned.scores(consumer, items, history)
        else:
            s = self.popularity.scores(consumer, items)
        if self.green_boost:
            s = s * (1.0 + self.green_boost * self.boost_scale[consumer] * self.green[items])
        return s

    def slate(self, consumer: int, candidates: np.ndarray) -> np.ndarray:
        """The top ``slate_size`` of ``candidates`` (ties by item id), best first."""
        s = self.scores(consumer, candidates)
        order = np.lexsort((candidates, -s))
        return candidates[order[: self.k]]

    # -- training -------------------------------------------------------------------------

    def retrain(self) -> TrainingReport:
        """Score the previous models on the purchases since their fit, then refit both."""
        held = np.array(self._held, dtype=np.int64).reshape(-1, 2)
        hr_pop = hr_learned = None
        if held.shape[0] and self.trainings:
            top = self.popularity.recommend(0, self.k)
            hr_pop = float(np.isin(held[:, 1], top).mean())
            hits = 0
            for c, i in held.tolist():
                hits += i in self.learned.recommend(c, self.k)
            hr_learned = hits / held.shape[0]
        data = Interactions(np.array(self._c, np.int64), np.array(self._i, np.int64), np.array(self._w, float))
        self.popularity = Popularity(self.green, self.appeal).fit(data, self.consumers)
        self.learned = Learned(self.green, self.category, self.appeal).fit(data, self.consumers)
        buys = Interactions(np.array(self._buy_c, np.int64), np.array(self._buy_i, np.int64), np.ones(len(self._buy_c)))
        a, b = GREEN_PRIOR
        self.boost_scale = green_likely(buys, self.green, self.consumers, GREEN_PRIOR) / (a / (a + b))
        self._held = []
        self.trainings += 1
        return TrainingReport(
            interactions=len(self._c),
            purchases=len(self._buy_c),
            held_out=int(held.shape[0]),
            hit_rate_popularity=hr_pop,
            hit_rate_learned=hr_learned,
        )
