"""Green recommendations: consumers, the choice model, ranking models, points incentives.

Pure numpy (and scipy.sparse); nothing here imports the simulation, which drives it from
``sim/world/sessions.py``.
"""

from .choice import ChoiceParams
from .consumers import Consumers, draw_consumers
from .incentives import PointsBank
from .ranking import Recommender, TrainingReport

__all__ = ["ChoiceParams", "Consumers", "PointsBank", "Recommender", "TrainingReport", "draw_consumers"]
