"""Slack and Microsoft Teams through AWS's chat integration (Amazon Q Developer in chat
applications): the channel configurations, their per-severity topics, and the custom
notification each rule's chat target sends."""
