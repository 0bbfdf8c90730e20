"""The model store: a folder of trained model artifacts, <root>/<model_name>/<model_version>/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models_ml.training import TrainedModel

ERR_NO_ARTIFACT = "no artifact for {model} {version} in the model store at {root}"


@dataclass(frozen=True)
class ModelStore:
    """Artifacts of trained versions (TrainedModel.save layout) under one root folder."""

    root: Path

    def path(self, model_name: str, model_version: str) -> Path:
        return Path(self.root) / model_name / model_version

    def has(self, model_name: str, model_version: str) -> bool:
        return (self.path(model_name, model_version) / "model.json").exists()

    def save(self, model: TrainedModel, model_name: str, model_version: str) -> Path:
        """Write the model's booster and sidecar; return the folder."""
        return model.save(self.path(model_name, model_version))

    def load(self, model_name: str, model_version: str) -> TrainedModel:
        if not self.has(model_name, model_version):
            raise FileNotFoundError(ERR_NO_ARTIFACT.format(model=model_name, version=model_version,
                                                           root=self.root))
        return TrainedModel.load(self.path(model_name, model_version))
