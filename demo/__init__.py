"""The demo builder: the Kota Metro demo (`seed_demo`) and a polling-day situation
(`seed_situation`). It sits above the domain apps: it fills them all through their models and
services, and nothing below imports it."""
