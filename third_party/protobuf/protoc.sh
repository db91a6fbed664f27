#!/bin/sh
# Runs Debian's protoc (package protobuf-compiler) for proto_library actions.
exec /usr/bin/protoc "$@"
