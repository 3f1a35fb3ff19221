// Command pulumi-language-python is a small Python language host for the
// Pulumi engine. It runs Python programs through pulumi-language-python-exec
// (found next to this executable) and Python policy packs through
// "python -m pulumi.policy". Only the RPCs that preview, up, destroy and
// policy packs need are implemented; the others report Unimplemented.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// hostVersion is reported to the engine; set with -ldflags -X main.hostVersion=...
var hostVersion = "3.259.0"

// exitCodeUserMessage is the exit code the exec script uses after it has
// already shown an actionable error to the user.
const exitCodeUserMessage = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	execPath      string
}

func main() {
	engine := ""
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-") {
			continue // engine flags such as -tracing, -logtostderr, -v=N
		}
		engine = a
	}
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	if resolved, rerr := filepath.EvalSymlinks(self); rerr == nil {
		self = resolved
	}
	h := &host{
		engineAddress: engine,
		execPath:      filepath.Join(filepath.Dir(self), "pulumi-language-python-exec"),
	}
	cancel := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(s, h)
			return nil
		},
	})
	if err != nil {
		fail(err)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
	os.Exit(1)
}

// optionString reads a string-valued runtime option from Pulumi.yaml.
func optionString(info *pulumirpc.ProgramInfo, key string) string {
	if info == nil || info.GetOptions() == nil {
		return ""
	}
	v, ok := info.GetOptions().GetFields()[key]
	if !ok {
		return ""
	}
	return v.GetStringValue()
}

// pythonCommand picks the interpreter: the project virtualenv option first,
// then PULUMI_PYTHON_CMD, then python3 or python on PATH.
func pythonCommand(info *pulumirpc.ProgramInfo) (string, []string, error) {
	var env []string
	if venv := optionString(info, "virtualenv"); venv != "" {
		if !filepath.IsAbs(venv) {
			venv = filepath.Join(info.GetRootDirectory(), venv)
		}
		py := filepath.Join(venv, "bin", "python")
		if _, err := os.Stat(py); err != nil {
			return "", nil, fmt.Errorf("virtualenv %q has no bin/python: %w", venv, err)
		}
		env = append(env, "VIRTUAL_ENV="+venv, "PATH="+filepath.Join(venv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
		return py, env, nil
	}
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		p, err := exec.LookPath(cmd)
		return p, env, err
	}
	for _, name := range []string{"python3", "python"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, env, nil
		}
	}
	return "", nil, errors.New("no python3 or python executable found on PATH; set PULUMI_PYTHON_CMD")
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: hostVersion}, nil
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// listPluginsScript prints one JSON object per installed distribution that
// ships a pulumi-plugin.json marking it as a resource plugin package.
const listPluginsScript = `
import json, importlib.metadata as md
seen = set()
for dist in md.distributions():
    for f in dist.files or []:
        if f.name != "pulumi-plugin.json":
            continue
        try:
            data = json.loads(f.read_text())
        except Exception:
            continue
        if not data.get("resource"):
            continue
        name = data.get("name") or dist.metadata["Name"].replace("pulumi_", "").replace("pulumi-", "")
        version = data.get("version") or dist.version
        key = (name, version)
        if key in seen:
            continue
        seen.add(key)
        print(json.dumps({"name": name, "version": version, "server": data.get("server", "")}))
`

type pluginEntry struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Server  string `json:"server"`
}

func (h *host) installedPlugins(ctx context.Context, info *pulumirpc.ProgramInfo) ([]pluginEntry, error) {
	py, env, err := pythonCommand(info)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, py, "-c", listPluginsScript)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = info.GetProgramDirectory()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing Python packages with %s: %w: %s", py, err, stderr.String())
	}
	var plugins []pluginEntry
	for _, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var p pluginEntry
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			return nil, fmt.Errorf("parsing %q: %w", line, err)
		}
		plugins = append(plugins, p)
	}
	return plugins, nil
}

func (h *host) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	plugins, err := h.installedPlugins(ctx, req.GetInfo())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPackagesResponse{}
	for _, p := range plugins {
		resp.Packages = append(resp.Packages, &pulumirpc.PackageDependency{
			Kind: "resource", Name: p.Name, Version: p.Version, Server: p.Server,
		})
	}
	return resp, nil
}

func (h *host) GetRequiredPlugins(ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	plugins, err := h.installedPlugins(ctx, req.GetInfo())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPluginsResponse{}
	for _, p := range plugins {
		resp.Plugins = append(resp.Plugins, &pulumirpc.PluginDependency{
			Kind: "resource", Name: p.Name, Version: p.Version, Server: p.Server,
		})
	}
	return resp, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	py, env, err := pythonCommand(req.GetInfo())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	if _, err := os.Stat(h.execPath); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("missing executor %s: %v", h.execPath, err)}, nil
	}
	program := req.GetProgram()
	if info := req.GetInfo(); info != nil && info.GetProgramDirectory() != "" {
		program = filepath.Join(info.GetProgramDirectory(), info.GetEntryPoint())
	}
	args := []string{"-u", h.execPath,
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.engineAddress,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", req.GetPwd(),
		"--parallel", fmt.Sprint(req.GetParallel()),
		"--dry_run", fmt.Sprint(req.GetDryRun()),
	}
	if req.GetOrganization() != "" {
		args = append(args, "--organization", req.GetOrganization())
	}
	if root := req.GetInfo().GetRootDirectory(); root != "" {
		args = append(args, "--root_directory", root)
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	cfg, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	keys, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	cmd := exec.CommandContext(ctx, py, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(cfg), "PULUMI_CONFIG_SECRET_KEYS="+string(keys))
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitCodeUserMessage {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// streamWriter forwards process output to a RunPlugin stream.
type streamWriter struct {
	mu     *sync.Mutex
	stream grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	data := append([]byte(nil), p...)
	msg := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: data}}
	if w.stderr {
		msg = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: data}}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.stream.Send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, stream grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	info := req.GetInfo()
	py, env, err := pythonCommand(info)
	if err != nil {
		return err
	}
	dir := info.GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd()
	}
	var args []string
	if req.GetKind() == "analyzer" {
		args = append([]string{"-u", "-m", "pulumi.policy"}, req.GetArgs()...)
		args = append(args, dir)
	} else {
		args = append([]string{"-u", filepath.Join(dir, info.GetEntryPoint())}, req.GetArgs()...)
	}
	cmd := exec.CommandContext(stream.Context(), py, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	mu := &sync.Mutex{}
	cmd.Stdout = streamWriter{mu: mu, stream: stream}
	cmd.Stderr = streamWriter{mu: mu, stream: stream, stderr: true}
	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return err
		}
		code = int32(exitErr.ExitCode())
	}
	mu.Lock()
	defer mu.Unlock()
	return stream.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	msg := "pulumi-language-python: dependency installation is not handled by this host; install requirements into the virtualenv yourself\n"
	return stream.Send(&pulumirpc.InstallDependenciesResponse{Stderr: []byte(msg)})
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	py, _, err := pythonCommand(req.GetInfo())
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, py, "--version").CombinedOutput()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: py,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "Python "),
	}, nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
