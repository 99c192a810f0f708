"""The model of oned's world: ``Cloud`` (objects and transitions), life-cycles, the built-in story.

Pure (no sockets, threads or sleeps). May import: wire, schemas, traffic."""
