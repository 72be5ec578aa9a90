"""One module per ``cnnref`` subcommand (verify, grade, train, evaluate, bench): each adds
its options to a parser and runs a library function. Only the entry point ``cnnref.cli`` imports
them."""
