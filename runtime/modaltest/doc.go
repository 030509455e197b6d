// Package modaltest runs a Modal control plane on loopback for tests, in the
// manner of net/http/httptest.
//
// A [Server] is a real gRPC server on 127.0.0.1 that implements the part of
// Modal's API (the modal.client.ModalClient and
// modal.task_command_router.TaskCommandRouter services) that the Go SDK
// github.com/modal-labs/modal-client/go v0.11.1 calls for modalc's flows, and
// that modalc calls directly through the SDK's generated proto client:
//
//   - auth, apps, environments, secrets (named ones are registered with
//     [Server.AddSecret]);
//   - images: ImageGetOrCreate with de-duplication of identical definitions,
//     and ImageJoinStreaming with one log line per Dockerfile instruction. A
//     "RUN ... exit N" instruction (N ≠ 0) fails the build;
//   - build contexts: MountPutFile, MountGetOrCreate and BlobCreate, with an
//     HTTP endpoint on loopback that accepts the blob upload (one PUT, or S3's
//     multipart protocol with [WithBlobMultipart]), and files sent inline in
//     the image definition (context_files);
//   - sandboxes of both backends (V1, used for GPUs, and V2), with names that
//     are unique per app, tags, listing with paging, wait, terminate, tunnels
//     and command-router access;
//   - the task command router: exec, stdio, stdin (unary and streamed) and
//     wait. Exec'd commands run as real local processes in a per-sandbox
//     temporary directory, and Modal's filesystem helper
//     (/__modal/.bin/modal-sandbox-fs-tools) is emulated over that
//     directory, so Sandbox.Exec and Sandbox.Filesystem work.
//
// Every other RPC answers UNIMPLEMENTED, which the SDK does not retry, so a
// missing piece of the surface fails fast and visibly.
//
// Point the SDK at a server with the variables from [Server.Env]
// (MODAL_SERVER_URL=http://127.0.0.1:PORT and dummy credentials). The command
// router shares the control plane's port; its URL says https:// as the SDK
// requires, and the SDK dials it in plaintext because the server URL's host is
// a loopback address.
//
// Tests can inject latency ([Server.SetLatency]) and faults per RPC
// ([Server.Fail]), and read what the server saw with [Server.State]: the
// sandboxes and their definitions, calls per RPC, the images built, the mounts
// and the number of bytes uploaded.
//
// The emulation is shallow where a test does not need depth: images are never
// really built, a sandbox's entrypoint is not run unless [WithEntrypoints] is
// given, tunnels name hosts under .modaltest.invalid that nothing serves, and
// an exec'd command runs on the host with only its working directory mapped
// into the sandbox's directory (absolute paths in its arguments are the
// host's). The environment variable MODALTEST_ROOT gives an exec'd command the
// directory that stands for the sandbox's "/".
//
// The command modaltest (./cmd/modaltest) runs a Server until interrupted, for
// tests that drive modalc as a separate process.
package modaltest
