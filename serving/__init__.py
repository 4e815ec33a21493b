"""Serving: the copy of the warehouse BI readers open, published after every run (see `serving.publish`)."""
