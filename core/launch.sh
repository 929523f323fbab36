#!/bin/bash
# Funicular's batch script. It is the same file for every job: the container
# command arrives as its arguments (argv built by funicular.core), so no user value
# is ever written into a script. exec keeps the job's signals going to the server.
exec "$@"
