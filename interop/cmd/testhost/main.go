// Command testhost is a go-plugin host used by the interop harness. It
// launches a plugin with `sh -c CMD`, runs one scenario against the "test"
// plugin and prints one JSON object on stdout.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"goplugints/interop/internal/shared"
)

type options struct {
	cmd          string
	versions     []int
	cookieKey    string
	cookieValue  string
	autoMTLS     bool
	skipHostEnv  bool
	mux          bool
	startTimeout time.Duration
	scenario     string
	payload      int
	n            int
	concurrency  int
	warmup       int
	verbose      bool
	rawStderr    bool
	reattach     string
}

// harness owns the host logger and every process it spawned.
type harness struct {
	opt    options
	logs   *logCapture
	logger hclog.Logger
	stderr *lockedBuffer // raw plugin stderr (ClientConfig.Stderr)

	mu   sync.Mutex
	cmds map[*plugin.Client]*exec.Cmd
}

func newHarness(opt options) *harness {
	h := &harness{
		opt:    opt,
		logs:   &logCapture{},
		stderr: &lockedBuffer{},
		cmds:   map[*plugin.Client]*exec.Cmd{},
	}
	if opt.verbose {
		h.logs.mirror = os.Stderr
	}
	h.logger = hclog.New(&hclog.LoggerOptions{
		Name:       "host",
		Level:      hclog.Trace,
		JSONFormat: true,
		Output:     h.logs,
	})
	return h
}

// newClient builds (but does not start) a plugin client for the configured
// command.
func (h *harness) newClient(syncStdout, syncStderr io.Writer) *plugin.Client {
	var cmd *exec.Cmd
	var reattach *plugin.ReattachConfig
	if h.opt.reattach != "" {
		rc, err := shared.DecodeReattach([]byte(h.opt.reattach))
		if err != nil {
			usage("-reattach: " + err.Error())
		}
		reattach = rc
	} else {
		cmd = exec.Command("sh", "-c", h.opt.cmd)
		// Own process group, so that a plugin left behind by a shell that did
		// not exec can still be cleaned up (see killGroups).
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	hs := shared.Handshake
	hs.MagicCookieKey = h.opt.cookieKey
	hs.MagicCookieValue = h.opt.cookieValue

	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  hs,
		VersionedPlugins: shared.VersionedPlugins(h.opt.versions, &shared.TestPlugin{}),
		Cmd:              cmd,
		Reattach:         reattach,
		// A reattaching go-plugin client never maps VersionedPlugins to Plugins (that happens only on
		// the launch path), so Dispense needs the set here.
		Plugins:             pluginsFor(reattach),
		AllowedProtocols:    []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:              h.logger,
		AutoMTLS:            h.opt.autoMTLS,
		SkipHostEnv:         h.opt.skipHostEnv,
		GRPCBrokerMultiplex: h.opt.mux,
		StartTimeout:        h.opt.startTimeout,
		Stderr:              h.stderr,
		SyncStdout:          syncStdout,
		SyncStderr:          syncStderr,
	})
	h.mu.Lock()
	h.cmds[client] = cmd
	h.mu.Unlock()
	return client
}

// killGroups SIGKILLs the process group of every spawned command.
func (h *harness) killGroups() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, cmd := range h.cmds {
		killGroupOf(cmd)
	}
}

// killGroup SIGKILLs the process group of one client's command.
func (h *harness) killGroup(client *plugin.Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cmd := h.cmds[client]; cmd != nil {
		killGroupOf(cmd)
	}
}

func killGroupOf(cmd *exec.Cmd) {
	if cmd == nil {
		return
	}
	if p := cmd.Process; p != nil {
		_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	}
}

// connect starts the plugin and dispenses "test".
func (h *harness) connect(client *plugin.Client) (plugin.ClientProtocol, *shared.Clients, error) {
	if _, err := client.Start(); err != nil {
		return nil, nil, err
	}
	rpc, err := client.Client()
	if err != nil {
		return nil, nil, fmt.Errorf("client: %w", err)
	}
	raw, err := rpc.Dispense(shared.PluginName)
	if err != nil {
		return rpc, nil, fmt.Errorf("dispense: %w", err)
	}
	c, ok := raw.(*shared.Clients)
	if !ok {
		return rpc, nil, fmt.Errorf("dispense returned %T", raw)
	}
	return rpc, c, nil
}

// forceKillMsg is what go-plugin logs right before it SIGKILLs the plugin.
const forceKillMsg = "plugin failed to exit gracefully"

// kill runs client.Kill and fills killed_gracefully, kill_ms, exited and
// group_killed.
//
// go-plugin's force kill only hits the direct child (the shell). When the
// shell did not exec the plugin (dash forks for `sh -c`), the plugin keeps
// the stderr pipe open and Kill would wait forever. So once go-plugin has
// decided to force kill (its warning shows up in the log) and Kill has not
// returned 250 ms later, or after 15 s in any case, the plugin's whole
// process group is SIGKILLed; group_killed reports that.
func (h *harness) kill(client *plugin.Client, out *object) {
	from := h.logs.Len()
	done := make(chan struct{})
	start := time.Now()
	go func() {
		client.Kill()
		close(done)
	}()
	groupKilled := false
	var forcedAt time.Time
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
wait:
	for {
		select {
		case <-done:
			break wait
		case <-ticker.C:
			if forcedAt.IsZero() && h.logs.containsSince(from, forceKillMsg) {
				forcedAt = time.Now()
			}
			if (!forcedAt.IsZero() && time.Since(forcedAt) > 250*time.Millisecond) ||
				time.Since(start) > 15*time.Second {
				groupKilled = true
				h.killGroup(client)
				<-done
				break wait
			}
		}
	}
	elapsed := time.Since(start)
	out.set("killed_gracefully", !h.logs.containsSince(from, forceKillMsg) && !groupKilled)
	out.set("kill_ms", ms(elapsed))
	out.set("exited", client.Exited())
	out.set("group_killed", groupKilled)
}

func (h *harness) finish(out *object, errs *errorList, withLogs bool) {
	out.set("ok", errs.empty())
	out.set("error", errs.String())
	if withLogs {
		out.set("logs", h.logs.entries(0))
	}
	if h.opt.rawStderr {
		out.set("raw_stderr", h.stderr.String())
	}
}

// base creates the result object with the leading common keys.
func base() *object {
	o := newObject()
	o.set("ok", false)
	o.set("error", "")
	o.set("negotiated", 0)
	o.set("protocol", "")
	return o
}

func started(client *plugin.Client, out *object) {
	out.set("negotiated", client.NegotiatedVersion())
	out.set("protocol", string(client.Protocol()))
}

func usage(msg string) {
	fmt.Fprintln(os.Stderr, "testhost:", msg)
	flag.Usage()
	os.Exit(2)
}

func main() {
	var opt options
	versions := flag.String("versions", "1", "comma separated protocol versions offered by the host (VersionedPlugins keys)")
	flag.StringVar(&opt.cmd, "cmd", "", "plugin command, run as sh -c CMD (required)")
	flag.StringVar(&opt.cookieKey, "cookie-key", shared.Handshake.MagicCookieKey, "magic cookie key")
	flag.StringVar(&opt.cookieValue, "cookie-value", shared.Handshake.MagicCookieValue, "magic cookie value")
	flag.BoolVar(&opt.autoMTLS, "automtls", false, "ClientConfig.AutoMTLS")
	flag.BoolVar(&opt.skipHostEnv, "skip-host-env", false, "ClientConfig.SkipHostEnv")
	flag.BoolVar(&opt.mux, "mux", false, "ClientConfig.GRPCBrokerMultiplex")
	flag.DurationVar(&opt.startTimeout, "start-timeout", time.Minute, "ClientConfig.StartTimeout")
	flag.StringVar(&opt.scenario, "scenario", "basic", "basic | start | bidirectional | panic | bench | bench-start")
	flag.IntVar(&opt.payload, "payload", 16, "bench: Echo payload size in bytes")
	flag.IntVar(&opt.n, "n", 0, "bench: timed calls (default 1000); bench-start: spawns (default 10); bidirectional: nested round trips (default 100)")
	flag.IntVar(&opt.concurrency, "concurrency", 1, "bench: extra phase with this many calls in flight if >1 and !=64; bidirectional: parallelism of the nested round trips (default 10 when <=1)")
	flag.IntVar(&opt.warmup, "warmup", 200, "bench: untimed Echo calls before measuring")
	flag.BoolVar(&opt.verbose, "v", false, "mirror the host logger's JSON lines to stderr")
	flag.BoolVar(&opt.rawStderr, "raw-stderr", false, "add raw_stderr (the plugin's raw stderr, ClientConfig.Stderr) to the output")
	flag.StringVar(&opt.reattach, "reattach", "", "reattach to this plugin (reattach JSON, see shared.ReattachJSON) instead of running -cmd")
	timeout := flag.Duration("timeout", 5*time.Minute, "overall deadline; on expiry print {ok:false} and exit 1")
	flag.Parse()

	if flag.NArg() != 0 {
		usage("unexpected arguments")
	}
	if opt.cmd == "" && opt.reattach == "" {
		usage("-cmd or -reattach is required")
	}
	var err error
	if opt.versions, err = shared.ParseVersions(*versions); err != nil {
		usage(err.Error())
	}
	if opt.payload < 0 || opt.n < 0 || opt.warmup < 0 {
		usage("-payload, -n and -warmup must not be negative")
	}

	scenarios := map[string]func(*harness) *object{
		"basic":         runBasic,
		"start":         runStart,
		"bidirectional": runBidirectional,
		"panic":         runPanic,
		"bench":         runBench,
		"bench-start":   runBenchStart,
		"reattach":      runReattach,
	}
	run, ok := scenarios[opt.scenario]
	if !ok {
		usage("unknown -scenario " + opt.scenario)
	}

	h := newHarness(opt)
	resCh := make(chan *object, 1)
	go func() { resCh <- run(h) }()

	select {
	case res := <-resCh:
		h.killGroups()
		emit(res)
	case <-time.After(*timeout):
		h.killGroups()
		o := newObject()
		o.set("ok", false)
		o.set("error", fmt.Sprintf("harness timeout after %s", *timeout))
		o.set("logs", h.logs.entries(0))
		emit(o)
		os.Exit(1)
	}
}

func emit(o *object) {
	b, err := json.Marshal(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testhost: encoding result:", err)
		os.Exit(1)
	}
	os.Stdout.Write(append(b, '\n'))
}

func pluginsFor(reattach *plugin.ReattachConfig) plugin.PluginSet {
	if reattach == nil {
		return nil
	}
	return shared.PluginSet(&shared.TestPlugin{})
}
