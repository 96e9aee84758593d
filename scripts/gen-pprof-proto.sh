#!/bin/sh
# Regenerates Sources/Render/Generated/profile.pb.swift from proto/profile.proto.
# Needs protoc (Debian protobuf-compiler) and protoc-gen-swift built from swift-protobuf at the
# version Package.resolved pins (swift build --product protoc-gen-swift in a clone of it).
# The build does not run this: the generated file is committed.
set -eu
cd "$(dirname "$0")/.."
PLUGIN=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}
protoc --plugin=protoc-gen-swift="$PLUGIN" --swift_out=Sources/Render/Generated \
  --swift_opt=Visibility=Public --proto_path=proto proto/profile.proto
