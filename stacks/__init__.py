"""The app: one stack per region the configuration plans."""

from __future__ import annotations

from cdktf import App

from config import MonitorConfig
from stacks.region_stack import RegionStack


def build_app(settings: MonitorConfig, outdir: str) -> App:
    app = App(outdir=outdir, stack_traces=False)
    for plan in settings.region_plans():
        RegionStack(app, plan, settings)
    return app
