"""The EventBridge engine: each selected detection as rules on a region's bus (one per outcome),
their targets and the alert message each target sends; in central delivery, the rules that
forward a region's matches to the home bus, each matching event exactly once."""
