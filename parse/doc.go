// Package parse finds a modalc input and reads it: compose files through
// compose-go (interpolation, .env, env_file, extends, include), Dockerfiles,
// and a position index that maps every YAML attribute path to the file, line
// and column of its key and value. For each Dockerfile build it reads the
// build context manifest ([Manifest]): exactly the files COPY and ADD read,
// after .dockerignore, hashed by streaming; no other file of the context is
// opened.
//
// It owns the file cache: every input file it reads is kept in
// [Source.Files] so that later phases (and the diagnostic renderer) never
// read a file again (build context files are hashed, not kept).
// It decides nothing about Modal. Problems with the input are returned as
// *[Error] values carrying a [Span]; validate turns them into diagnostics.
// Any other error is an I/O failure.
package parse
