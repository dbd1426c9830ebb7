package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/smartcontractkit/chainlink-common/pkg/logger"
	"github.com/smartcontractkit/chainlink-common/pkg/loop"
)

// runRecovery measures chainlink-common's own supervision: it starts a
// relayer with loop.NewRelayerService, waits for a first GetChainStatus, then
// n times SIGKILLs the plugin process and times how long until GetChainStatus
// succeeds again (Go's keepAlive tick relaunches; the relayer's clientConn
// re-runs NewRelayer and retries the call). The call after each kill is made
// at once with the run's deadline, so its latency is the recovery time.
func runRecovery(ctx context.Context, r *runner, lggr logger.Logger, relayerArgv, extraEnv []string, n int) {
	res := r.res
	relayer := loop.NewRelayerService(lggr, loop.GRPCOpts{}, newCmd(relayerArgv, extraEnv), relayerConfigTOML,
		staticKeystore{}, staticKeystore{}, hostRegistry)
	defer func() {
		r.do("close_relayer_service", func() (string, error) { return "", relayer.Close() })
	}()
	if !r.do("relayer_start", func() (string, error) { return "", relayer.Start(ctx) }) {
		return
	}
	if err := relayer.WaitCtx(ctx); err != nil {
		r.fail("relayer never came up: %v", err)
		return
	}
	chainStatus := func() (string, error) {
		s, err := relayer.GetChainStatus(ctx)
		if err != nil {
			return "", err
		}
		if s.ID != "some_chain" {
			return "", fmt.Errorf("chain id %q, want some_chain", s.ID)
		}
		return s.ID, nil
	}
	if !r.do("first_get_chain_status", chainStatus) {
		return
	}
	res.RecoveryMS = []float64{}
	for i := 0; i < n; i++ {
		pids := childPids()
		if len(pids) != 1 {
			r.fail("kill %d: want one plugin process, found %v", i+1, pids)
			return
		}
		t0 := time.Now()
		if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
			r.fail("kill %d: %v", i+1, err)
			return
		}
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pids[0], &ws, 0, nil)
		if !r.do(fmt.Sprintf("recovery_%d", i+1), chainStatus) {
			return
		}
		res.RecoveryMS = append(res.RecoveryMS, ms(time.Since(t0)))
	}
}

// childPids lists the live (non-zombie) processes whose parent is this process.
func childPids() []int {
	me := os.Getpid()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == me && f[0] != "Z" {
			out = append(out, pid)
		}
	}
	return out
}
