package modaltest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"syscall"
)

// fsToolsPath is the helper the SDK's Sandbox.Filesystem execs in a sandbox.
const fsToolsPath = "/__modal/.bin/modal-sandbox-fs-tools"

// fsFileInfo is the JSON the helper prints for Stat and ListFiles; the SDK
// decodes it into modal.FileInfo.
type fsFileInfo struct {
	Name          string  `json:"name"`
	Path          string  `json:"path"`
	Type          string  `json:"type"`
	Size          int64   `json:"size"`
	Mode          uint32  `json:"mode"`
	Permissions   string  `json:"permissions"`
	Owner         string  `json:"owner"`
	Group         string  `json:"group"`
	ModifiedTime  float64 `json:"modified_time"`
	SymlinkTarget *string `json:"symlink_target"`
}

// fsError is the JSON the helper prints on stderr when it fails; the SDK maps
// error_kind to its SandboxFilesystem*Error types.
type fsError struct {
	ErrorKind string `json:"error_kind"`
	Message   string `json:"message"`
	Detail    string `json:"detail"`
}

// runFSTools emulates modal-sandbox-fs-tools over root, the directory that
// stands for the sandbox's "/". args is the helper's arguments (one JSON
// object naming the operation); it returns the exit code.
func runFSTools(root string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(kind, message, detail string) int {
		b, _ := json.Marshal(fsError{ErrorKind: kind, Message: message, Detail: detail})
		fmt.Fprintf(stderr, "%s\n", b)
		return 1
	}
	failErr := func(err error, remote string) int {
		kind, msg := classifyFSError(err)
		return fail(kind, msg, fmt.Sprintf("%s: %v", remote, err))
	}
	if len(args) != 1 {
		return fail("InvalidArgument", "expected one JSON argument", fmt.Sprint(args))
	}
	var op map[string]struct {
		Path      string `json:"path"`
		Parents   bool   `json:"parents"`
		Recursive bool   `json:"recursive"`
	}
	if err := json.Unmarshal([]byte(args[0]), &op); err != nil || len(op) != 1 {
		return fail("InvalidArgument", "bad command", args[0])
	}
	for name, a := range op {
		if !path.IsAbs(a.Path) {
			return fail("InvalidArgument", "path must be absolute", a.Path)
		}
		remote := path.Clean(a.Path)
		host := filepath.Join(root, filepath.FromSlash(remote))
		switch name {
		case "ReadFile":
			info, err := os.Stat(host)
			if err != nil {
				return failErr(err, remote)
			}
			if info.IsDir() {
				return fail("IsDirectory", "Is a directory", remote)
			}
			data, err := os.ReadFile(host)
			if err != nil {
				return failErr(err, remote)
			}
			stdout.Write(data)
			return 0

		case "WriteFile":
			data, err := io.ReadAll(stdin)
			if err != nil {
				return fail("Other", "stdin was not closed", err.Error())
			}
			if info, err := os.Stat(host); err == nil && info.IsDir() {
				return fail("IsDirectory", "Is a directory", remote)
			}
			if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
				return fail("NotDirectory", "Not a directory", fmt.Sprintf("%s: %v", remote, err))
			}
			if err := os.WriteFile(host, data, 0o644); err != nil {
				return failErr(err, remote)
			}
			return 0

		case "ListFiles":
			info, err := os.Stat(host)
			if err != nil {
				return failErr(err, remote)
			}
			if !info.IsDir() {
				return fail("NotDirectory", "Not a directory", remote)
			}
			entries, err := os.ReadDir(host)
			if err != nil {
				return failErr(err, remote)
			}
			list := make([]fsFileInfo, 0, len(entries))
			for _, e := range entries {
				fi, err := fileInfo(filepath.Join(host, e.Name()), path.Join(remote, e.Name()))
				if err != nil {
					continue // gone since ReadDir
				}
				list = append(list, fi)
			}
			sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
			json.NewEncoder(stdout).Encode(list)
			return 0

		case "Stat":
			fi, err := fileInfo(host, remote)
			if err != nil {
				return failErr(err, remote)
			}
			json.NewEncoder(stdout).Encode(fi)
			return 0

		case "MakeDirectory":
			if a.Parents {
				if info, err := os.Stat(host); err == nil && !info.IsDir() {
					return fail("PathAlreadyExists", "File exists", remote)
				}
				if err := os.MkdirAll(host, 0o755); err != nil {
					return failErr(err, remote)
				}
				return 0
			}
			if err := os.Mkdir(host, 0o755); err != nil {
				return failErr(err, remote)
			}
			return 0

		case "Remove":
			info, err := os.Lstat(host)
			if err != nil {
				return failErr(err, remote)
			}
			if remote == "/" {
				return fail("PermissionDenied", "Permission denied", remote)
			}
			if info.IsDir() && a.Recursive {
				err = os.RemoveAll(host)
			} else {
				err = os.Remove(host)
			}
			if err != nil {
				return failErr(err, remote)
			}
			return 0

		default:
			return fail("NotSupported", "operation not supported by modaltest", name)
		}
	}
	return 1
}

// classifyFSError maps an OS error to the helper's error_kind and message.
func classifyFSError(err error) (kind, message string) {
	switch {
	case errors.Is(err, syscall.ENOTDIR):
		return "NotDirectory", "Not a directory"
	case errors.Is(err, syscall.EISDIR):
		return "IsDirectory", "Is a directory"
	case errors.Is(err, syscall.ENOTEMPTY), errors.Is(err, syscall.EEXIST) && isRemove(err):
		return "DirectoryNotEmpty", "Directory not empty"
	case errors.Is(err, fs.ErrNotExist):
		return "NotFound", "No such file or directory"
	case errors.Is(err, fs.ErrExist):
		return "PathAlreadyExists", "File exists"
	case errors.Is(err, fs.ErrPermission):
		return "PermissionDenied", "Permission denied"
	}
	return "Other", err.Error()
}

// isRemove reports whether err came from removing a path (some systems
// report a non-empty directory as EEXIST).
func isRemove(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Op == "remove"
}

// fileInfo describes host (whose sandbox path is remote) without following a
// final symlink.
func fileInfo(host, remote string) (fsFileInfo, error) {
	info, err := os.Lstat(host)
	if err != nil {
		return fsFileInfo{}, err
	}
	fi := fsFileInfo{
		Name:         path.Base(remote),
		Path:         remote,
		Type:         "file",
		Size:         info.Size(),
		Mode:         uint32(info.Mode().Perm()) | 0o100000,
		Permissions:  info.Mode().Perm().String()[1:],
		Owner:        "root",
		Group:        "root",
		ModifiedTime: float64(info.ModTime().UnixMicro()) / 1e6,
	}
	switch {
	case info.IsDir():
		fi.Type = "directory"
		fi.Mode = uint32(info.Mode().Perm()) | 0o040000
	case info.Mode()&fs.ModeSymlink != 0:
		fi.Type = "symlink"
		fi.Mode = uint32(info.Mode().Perm()) | 0o120000
		if target, err := os.Readlink(host); err == nil {
			fi.SymlinkTarget = &target
		}
	}
	return fi, nil
}
