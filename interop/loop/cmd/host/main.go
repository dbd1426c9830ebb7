// Command loop-host is a Go LOOP host built only on chainlink-common's public
// pkg/loop API. It launches a relayer plugin and a median plugin the way
// chainlink core does (loop.NewRelayerService / loop.NewMedianService with a
// fresh exec.Cmd whose environment is EnvConfig.AsCmdEnv()), runs one OCR2
// round against the median plugin's reporting plugin with the fixed values of
// chainlink-common's test fixtures, checks every value that comes back, and
// prints one JSON line. See the package README for the fields.
package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-plugin"
	"github.com/smartcontractkit/libocr/commontypes"
	"github.com/smartcontractkit/libocr/offchainreporting2/reportingplugin/median"
	ocrtypes "github.com/smartcontractkit/libocr/offchainreporting2plus/types"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/smartcontractkit/chainlink-common/pkg/logger"
	"github.com/smartcontractkit/chainlink-common/pkg/loop"
	"github.com/smartcontractkit/chainlink-common/pkg/types"
	"github.com/smartcontractkit/chainlink-common/pkg/types/query/primitives"
)

// Fixed values shared with chainlink-common's LOOP test fixtures (loop.md §6).
var (
	relayerConfigTOML = "[Foo]\nBar = \"Baz\"\n"

	relayArgs = types.RelayArgs{
		ExternalJobID: uuid.MustParse("1051429b-aa66-11ed-b0d2-5cff35dfbe67"),
		JobID:         123,
		ContractID:    "testcontract",
		New:           true,
		RelayConfig:   []byte{42: 11},
		ProviderType:  string(types.Median),
	}
	pluginArgs = types.PluginArgs{
		TransmitterID: "testtransmitter",
		PluginConfig:  []byte{100: 88},
	}

	ksAccount   = "testaccount"
	ksEncoded   = []byte{5: 11}
	ksSigned    = []byte{13: 37}
	ksDecrypted = []byte{17: 41}

	medianContractID = "0x42"
	dsTimestamp      = ocrtypes.ReportTimestamp{ConfigDigest: ocrtypes.ConfigDigest{1: 7, 31: 3}, Epoch: 79, Round: 17}
	dsValue          = big.NewInt(999)
	dsJuels          = big.NewInt(1234)
	dsGasPrice       = big.NewInt(777)
	errorLogMessage  = "an error"

	rpConfig = ocrtypes.ReportingPluginConfig{
		ConfigDigest:                            ocrtypes.ConfigDigest{},
		OracleID:                                commontypes.OracleID(10),
		N:                                       12,
		F:                                       42,
		OnchainConfig:                           []byte{17: 11},
		OffchainConfig:                          []byte{32: 64},
		EstimatedRoundInterval:                  time.Second,
		MaxDurationQuery:                        time.Hour,
		MaxDurationObservation:                  time.Millisecond,
		MaxDurationReport:                       time.Microsecond,
		MaxDurationShouldAcceptFinalizedReport:  10 * time.Second,
		MaxDurationShouldTransmitAcceptedReport: time.Minute,
	}
	rpInfo = ocrtypes.ReportingPluginInfo{
		Name:          "test",
		UniqueReports: true,
		Limits:        ocrtypes.ReportingPluginLimits{MaxQueryLength: 42, MaxObservationLength: 13, MaxReportLength: 17},
	}
	roundTimestamp = ocrtypes.ReportTimestamp{ConfigDigest: ocrtypes.ConfigDigest{2: 10, 12: 16}, Epoch: 88, Round: 74}
	roundQuery     = []byte{42: 42}
	observation    = []byte{21: 19}
	attributedObs  = []ocrtypes.AttributedObservation{{Observation: []byte{21: 19}, Observer: commontypes.OracleID(99)}}
	roundReport    = []byte{42: 101}

	// The relayer's median provider fixture, checked directly from the host.
	provDigest       = ocrtypes.ConfigDigest{1: 7, 13: 11, 31: 23}
	provDigestPrefix = ocrtypes.ConfigDigestPrefix(99)
	provConfig       = ocrtypes.ContractConfig{
		ConfigDigest:          provDigest,
		ConfigCount:           42,
		Signers:               []ocrtypes.OnchainPublicKey{[]byte{15: 1}},
		Transmitters:          []ocrtypes.Account{"foo", "bar"},
		F:                     11,
		OnchainConfig:         []byte{2: 11, 14: 22, 31: 1},
		OffchainConfigVersion: 2,
		OffchainConfig:        []byte{1: 99, 12: 55},
	}
	provChangedInBlock = uint64(14)
	provBlockHeight    = uint64(1337)
	provAccount        = ocrtypes.Account("some-account")
	provEpoch          = uint32(88)
	provReportContext  = ocrtypes.ReportContext{
		ReportTimestamp: ocrtypes.ReportTimestamp{ConfigDigest: provDigest, Epoch: 88, Round: 74},
		ExtraHash:       [32]byte{1: 3, 3: 5, 7: 11},
	}
	provTransmitReport = ocrtypes.Report{41: 131}
	provSigs           = []ocrtypes.AttributedOnchainSignature{{Signature: []byte{9: 8, 7: 6}, Signer: commontypes.OracleID(54)}}
	provPobs           = []median.ParsedAttributedObservation{{Timestamp: 123, Value: big.NewInt(31), JuelsPerFeeCoin: big.NewInt(54), GasPriceSubunits: big.NewInt(77), Observer: commontypes.OracleID(99)}}
	provMedian         = big.NewInt(-1042)
	provMaxReportLen   = 101
	provOnchainConfig  = median.OnchainConfig{Min: big.NewInt(-12), Max: big.NewInt(1234567890987654321)}
	provOnchainEncoded = []byte{5: 11}
	provMCDigest       = ocrtypes.ConfigDigest{1: 1, 11: 8}
	provMCEpoch        = uint32(7)
	provMCRound        = uint8(11)
	provMCAnswer       = big.NewInt(123)
	provMCTimestamp    = time.Unix(1234567890, 987654321).UTC()
	provMCLookback     = time.Minute + 4*time.Second
	crReadIdentifier   = types.BoundContract{Address: "0x24", Name: "anyContract"}.ReadIdentifier("anyMethod")
	crParams           = map[string]any{"param1": "value1", "param2": "value2"}
	crReturn           = map[string]any{"ret1": "latestValue1", "ret2": "latestValue2"}
)

// staticKeystore serves one account; Sign and Decrypt answer fixed bytes.
type staticKeystore struct{}

func (staticKeystore) Accounts(context.Context) ([]string, error) { return []string{ksAccount}, nil }

func (staticKeystore) Sign(_ context.Context, account string, data []byte) ([]byte, error) {
	if account != ksAccount {
		return nil, fmt.Errorf("unknown account %q", account)
	}
	if !bytes.Equal(data, ksEncoded) {
		return nil, fmt.Errorf("unexpected data to sign %x", data)
	}
	return ksSigned, nil
}

func (staticKeystore) Decrypt(_ context.Context, account string, data []byte) ([]byte, error) {
	if account != ksAccount {
		return nil, fmt.Errorf("unknown account %q", account)
	}
	if !bytes.Equal(data, ksEncoded) {
		return nil, fmt.Errorf("unexpected data to decrypt %x", data)
	}
	return ksDecrypted, nil
}

// dataSource answers a fixed value for the data-source timestamp.
type dataSource struct {
	name  string
	value *big.Int
	mu    sync.Mutex
	calls int
	bad   []string
}

func (d *dataSource) Observe(_ context.Context, ts ocrtypes.ReportTimestamp) (*big.Int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	if ts != dsTimestamp {
		d.bad = append(d.bad, fmt.Sprintf("%+v", ts))
		return nil, fmt.Errorf("%s: unexpected timestamp %+v", d.name, ts)
	}
	return new(big.Int).Set(d.value), nil
}

type errorLog struct {
	mu   sync.Mutex
	msgs []string
}

func (e *errorLog) SaveError(_ context.Context, msg string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.msgs = append(e.msgs, msg)
	return nil
}

func (e *errorLog) messages() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string{}, e.msgs...)
}

type step struct {
	Name   string  `json:"name"`
	MS     float64 `json:"ms"`
	Detail string  `json:"detail"`
	OK     bool    `json:"ok"`
}

type result struct {
	OK                   bool               `json:"ok"`
	Error                string             `json:"error"`
	Steps                []step             `json:"steps"`
	RelayerCmd           []string           `json:"relayer_cmd"`
	MedianCmd            []string           `json:"median_cmd"`
	ReportingPluginInfo  any                `json:"reporting_plugin_info"`
	QueryHex             string             `json:"query_hex"`
	ObservationHex       string             `json:"observation_hex"`
	ShouldReport         bool               `json:"should_report"`
	ReportHex            string             `json:"report_hex"`
	ShouldAccept         bool               `json:"should_accept"`
	ShouldTransmit       bool               `json:"should_transmit"`
	ErrorLogMessages     []string           `json:"errorlog_messages"`
	DataSourceCalls      map[string]int     `json:"datasource_calls"`
	ProviderCodec        bool               `json:"provider_codec"`
	ProviderContractRdr  bool               `json:"provider_contract_reader"`
	Health               map[string]string  `json:"health"`
	StartToFirstReportMS float64            `json:"start_to_first_report_ms"`
	BenchN               int                `json:"bench_n"`
	ObservationP50US     float64            `json:"observation_p50_us"`
	ObservationMeanUS    float64            `json:"observation_mean_us"`
	ObservationP99US     float64            `json:"observation_p99_us"`
	DigestPrefixP50US    float64            `json:"digest_prefix_p50_us"`
	DigestPrefixMeanUS   float64            `json:"digest_prefix_mean_us"`
	DigestPrefixP99US    float64            `json:"digest_prefix_p99_us"`
	CloseMS              float64            `json:"close_ms"`
	RecoveryMS           []float64          `json:"recovery_ms,omitempty"`
	LeftoverChildren     int                `json:"leftover_children"`
	LeftoverSockets      int                `json:"leftover_plugin_sockets"`
	ExtraEnv             []string           `json:"extra_env"`
	LogWarnings          []string           `json:"log_warnings"`
	LogWarningsTotal     int                `json:"log_warnings_total"`
	Surface              map[string]outcome `json:"surface,omitempty"`
	Scrapes              map[string]string  `json:"scrapes,omitempty"`
}

type runner struct {
	res  *result
	errs []string
}

func (r *runner) fail(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// do runs fn as a named step; fn returns a detail string and an error.
func (r *runner) do(name string, fn func() (string, error)) bool {
	start := time.Now()
	detail, err := fn()
	s := step{Name: name, MS: ms(time.Since(start)), Detail: detail, OK: err == nil}
	if err != nil {
		if s.Detail != "" {
			s.Detail += "; "
		}
		s.Detail += err.Error()
		r.fail("%s: %v", name, err)
	}
	r.res.Steps = append(r.res.Steps, s)
	return err == nil
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	self, _ := os.Executable()
	defPlugin := filepath.Join(filepath.Dir(self), "loop-test-plugin")

	benchN := flag.Int("bench", 0, "after the round, time N Observation calls and N ConfigDigestPrefix calls")
	recoverN := flag.Int("recover", 0, "instead of the round: start the relayer only, then N times SIGKILL it and time until GetChainStatus succeeds again")
	pluginPath := flag.String("plugin", defPlugin, "chainlink-common test plugin binary (used by the default commands)")
	relayerCmdS := flag.String("relayer-cmd", "", "relayer plugin command, split on spaces (default: PLUGIN -cmd relayer -static-checks)")
	medianCmdS := flag.String("median-cmd", "", "median plugin command, split on spaces (default: PLUGIN -cmd median)")
	timeout := flag.Duration("timeout", 2*time.Minute, "overall deadline")
	verbose := flag.Bool("v", false, "also write the host's log (including the plugins' relayed logs) to stderr")
	exactEnv := flag.Bool("exact-env", false, "do not add PLUGIN_UNIX_SOCKET_DIR (the plugins then leave their sockets in /tmp, as under chainlink core)")
	registry := flag.Bool("registry", false, "serve a static capabilities registry (node, DONs, one capability config) to the relayer instead of chainlink-common's unimplemented one")
	surface := flag.Bool("surface", false, "after the round, call ConfigProvider, ContractReader and ContractWriter through the relayer and record each outcome in \"surface\"")
	deviation := flag.String("deviation", "", "JSON object passed as NewMedianService's deviationFuncDefinition (default nil: field absent)")
	var extraEnv multiFlag
	flag.Var(&extraEnv, "env", "extra KEY=VALUE for both plugins' environment (repeatable)")
	var relayerEnv multiFlag
	flag.Var(&relayerEnv, "relayer-env", "extra KEY=VALUE for the relayer plugin's environment only, after -env (repeatable)")
	var scrapes multiFlag
	flag.Var(&scrapes, "scrape", "URL fetched after the round, before anything is closed; the body goes to \"scrapes\" (repeatable)")
	flag.Parse()
	scrapeURLs = scrapes
	if *registry {
		hostRegistry = staticRegistry{}
	}
	if flag.NArg() != 0 || *benchN < 0 || *recoverN < 0 {
		fmt.Fprintln(os.Stderr, "usage: loop-host [-bench N | -recover N] [-plugin PATH] [-relayer-cmd CMD] [-median-cmd CMD] [-env K=V]... [-relayer-env K=V]... [-scrape URL]... [-timeout D] [-v]")
		os.Exit(2)
	}

	var deviationDef map[string]any
	if *deviation != "" {
		if err := json.Unmarshal([]byte(*deviation), &deviationDef); err != nil || deviationDef == nil {
			fmt.Fprintln(os.Stderr, "-deviation must be a JSON object")
			os.Exit(2)
		}
	}

	relayerArgv := strings.Fields(*relayerCmdS)
	if len(relayerArgv) == 0 {
		relayerArgv = []string{*pluginPath, "-cmd", "relayer", "-static-checks"}
	}
	medianArgv := strings.Fields(*medianCmdS)
	if len(medianArgv) == 0 {
		medianArgv = []string{*pluginPath, "-cmd", "median"}
	}

	res := &result{RelayerCmd: relayerArgv, MedianCmd: medianArgv, DataSourceCalls: map[string]int{}, Health: map[string]string{}}
	r := &runner{res: res}

	// Plugin-side unix sockets go to a private directory that is removed at
	// the end: plugins stopped by chainlink-common's PluginService.Close are
	// SIGKILLed and cannot unlink their own sockets.
	socketDir := ""
	if !*exactEnv {
		d, err := os.MkdirTemp("", "loop-host-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		socketDir = d
		extraEnv = append(extraEnv, plugin.EnvUnixSocketDir+"="+socketDir)
	}
	res.ExtraEnv = append([]string{}, extraEnv...)
	relayerExtraEnv := append(append([]string{}, extraEnv...), relayerEnv...)

	// Host logger: warnings and above are kept for the JSON; -v mirrors
	// everything to stderr.
	obsCore, obsLogs := observer.New(zapcore.WarnLevel)
	cores := []zapcore.Core{obsCore}
	if *verbose {
		stderrCore, err := logger.NewCore(func(c *zap.Config) { c.Level = zap.NewAtomicLevelAt(zap.DebugLevel) })
		if err == nil {
			cores = append(cores, stderrCore)
		}
	}
	lggr := logger.NewWithCores(cores...)

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	if *recoverN > 0 {
		runRecovery(ctx, r, lggr, relayerArgv, relayerExtraEnv, *recoverN)
	} else {
		run(ctx, r, lggr, relayerArgv, medianArgv, relayerExtraEnv, extraEnv, deviationDef, *benchN, *surface)
	}

	// Safety net for managed go-plugin clients, then look for any child
	// process still around (only processes this program started).
	plugin.CleanupClients()
	res.LeftoverChildren = reapChildren()
	if res.LeftoverChildren > 0 {
		r.fail("%d plugin process(es) still running after Close (killed)", res.LeftoverChildren)
	}
	if socketDir != "" {
		if ents, err := os.ReadDir(socketDir); err == nil {
			res.LeftoverSockets = len(ents)
		}
		_ = os.RemoveAll(socketDir)
	}

	for _, e := range obsLogs.All() {
		res.LogWarningsTotal++
		if len(res.LogWarnings) < 20 {
			line := e.LoggerName + ": " + e.Message
			if errv, ok := e.ContextMap()["err"]; ok {
				line += fmt.Sprintf(" (err=%v)", errv)
			}
			res.LogWarnings = append(res.LogWarnings, line)
		}
	}
	if res.LogWarnings == nil {
		res.LogWarnings = []string{}
	}

	res.OK = len(r.errs) == 0
	res.Error = strings.Join(r.errs, "; ")
	out, err := json.Marshal(res)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(out))
	if ctx.Err() != nil {
		os.Exit(1)
	}
}

// newCmd returns the exec.Cmd factory for a plugin: a fresh Cmd per launch
// with the environment chainlink core gives LOOPs (EnvConfig.AsCmdEnv(); the
// go-plugin cookie and protocol variables are added by go-plugin itself).
func newCmd(argv []string, extraEnv []string) func() *exec.Cmd {
	return func() *exec.Cmd {
		cmd := exec.Command(argv[0], argv[1:]...)
		envCfg := loop.EnvConfig{PrometheusPort: 0, MercuryTransmitterTransmitQueueMaxSize: 0, MercuryTransmitterTransmitConcurrency: 0}
		cmd.Env = append(envCfg.AsCmdEnv(), extraEnv...)
		return cmd
	}
}

func run(ctx context.Context, r *runner, lggr logger.Logger, relayerArgv, medianArgv, relayerEnv, extraEnv []string, deviationDef map[string]any, benchN int, surface bool) {
	res := r.res
	var (
		relayer   *loop.RelayerService
		medianSvc *loop.MedianService
		provider  types.MedianProvider
		rp        ocrtypes.ReportingPlugin
	)
	ds := &dataSource{name: "DataSource", value: dsValue}
	juels := &dataSource{name: "JuelsPerFeeCoinDataSource", value: dsJuels}
	gas := &dataSource{name: "GasPriceSubunitsDataSource", value: dsGasPrice}
	elog := &errorLog{}

	defer func() {
		scrapeAll(r)
		// Close everything that was started, innermost first.
		start := time.Now()
		if rp != nil {
			r.do("close_reporting_plugin", func() (string, error) { return "", rp.Close() })
		}
		if medianSvc != nil {
			r.do("close_median_service", func() (string, error) { return "", medianSvc.Close() })
		}
		if provider != nil {
			r.do("close_provider", func() (string, error) { return "", ignoreCanceled(provider.Close()) })
		}
		if relayer != nil {
			r.do("close_relayer_service", func() (string, error) { return "", relayer.Close() })
		}
		res.CloseMS = ms(time.Since(start))
		res.ErrorLogMessages = elog.messages()
		for _, d := range []*dataSource{ds, juels, gas} {
			d.mu.Lock()
			res.DataSourceCalls[d.name] = d.calls
			if len(d.bad) > 0 {
				r.fail("%s observed with unexpected timestamps %v", d.name, d.bad)
			}
			d.mu.Unlock()
		}
	}()

	t0 := time.Now()
	relayer = loop.NewRelayerService(lggr, loop.GRPCOpts{}, newCmd(relayerArgv, relayerEnv), relayerConfigTOML,
		staticKeystore{}, staticKeystore{}, hostRegistry)
	if !r.do("relayer_start", func() (string, error) { return "", relayer.Start(ctx) }) {
		relayer = nil
		return
	}

	var pp types.PluginProvider
	if !r.do("new_plugin_provider", func() (string, error) {
		var err error
		pp, err = relayer.NewPluginProvider(ctx, relayArgs, pluginArgs)
		if err != nil {
			return "", err
		}
		mp, ok := pp.(types.MedianProvider)
		if !ok {
			pp.Close()
			return "", fmt.Errorf("provider is %T, not a types.MedianProvider", pp)
		}
		provider = mp
		return fmt.Sprintf("%T", pp), nil
	}) {
		return
	}
	res.ProviderCodec = provider.Codec() != nil
	res.ProviderContractRdr = provider.ContractReader() != nil

	r.do("provider_ready", func() (string, error) { return "", provider.Ready() })
	checkProvider(ctx, r, provider)

	medianSvc = loop.NewMedianService(lggr, loop.GRPCOpts{}, newCmd(medianArgv, extraEnv), provider, medianContractID,
		ds, juels, gas, elog, deviationDef)
	if !r.do("median_start", func() (string, error) { return "", medianSvc.Start(ctx) }) {
		medianSvc = nil
		return
	}

	if !r.do("new_reporting_plugin", func() (string, error) {
		var info ocrtypes.ReportingPluginInfo
		var err error
		rp, info, err = medianSvc.NewReportingPlugin(ctx, rpConfig)
		if err != nil {
			return "", err
		}
		res.ReportingPluginInfo = map[string]any{
			"name": info.Name, "unique_reports": info.UniqueReports,
			"max_query_length": info.Limits.MaxQueryLength, "max_observation_length": info.Limits.MaxObservationLength,
			"max_report_length": info.Limits.MaxReportLength,
		}
		if info != rpInfo {
			return "", fmt.Errorf("reporting plugin info %+v, want %+v", info, rpInfo)
		}
		return info.Name, nil
	}) {
		return
	}

	r.do("query", func() (string, error) {
		q, err := rp.Query(ctx, roundTimestamp)
		if err != nil {
			return "", err
		}
		res.QueryHex = hex.EncodeToString(q)
		if !bytes.Equal(q, roundQuery) {
			return "", fmt.Errorf("query %x, want %x", []byte(q), roundQuery)
		}
		return fmt.Sprintf("%d bytes", len(q)), nil
	})
	r.do("observation", func() (string, error) {
		o, err := rp.Observation(ctx, roundTimestamp, roundQuery)
		if err != nil {
			return "", err
		}
		res.ObservationHex = hex.EncodeToString(o)
		if !bytes.Equal(o, observation) {
			return "", fmt.Errorf("observation %x, want %x", []byte(o), observation)
		}
		return fmt.Sprintf("%d bytes", len(o)), nil
	})
	r.do("report", func() (string, error) {
		should, rep, err := rp.Report(ctx, roundTimestamp, roundQuery, attributedObs)
		if err != nil {
			return "", err
		}
		res.StartToFirstReportMS = ms(time.Since(t0))
		res.ShouldReport = should
		res.ReportHex = hex.EncodeToString(rep)
		if !should {
			return "", errors.New("shouldReport false")
		}
		if !bytes.Equal(rep, roundReport) {
			return "", fmt.Errorf("report %x, want %x", []byte(rep), roundReport)
		}
		return fmt.Sprintf("%d bytes", len(rep)), nil
	})
	r.do("should_accept", func() (string, error) {
		ok, err := rp.ShouldAcceptFinalizedReport(ctx, roundTimestamp, roundReport)
		res.ShouldAccept = ok
		if err == nil && !ok {
			err = errors.New("shouldAccept false")
		}
		return "", err
	})
	r.do("should_transmit", func() (string, error) {
		ok, err := rp.ShouldTransmitAcceptedReport(ctx, roundTimestamp, roundReport)
		res.ShouldTransmit = ok
		if err == nil && !ok {
			err = errors.New("shouldTransmit false")
		}
		return "", err
	})
	r.do("errorlog", func() (string, error) {
		msgs := elog.messages()
		if len(msgs) == 0 || msgs[0] != errorLogMessage {
			return "", fmt.Errorf("ErrorLog messages %q, want [%q]", msgs, errorLogMessage)
		}
		return strings.Join(msgs, ","), nil
	})
	r.do("datasources", func() (string, error) {
		var parts []string
		var err error
		for _, d := range []*dataSource{ds, juels, gas} {
			d.mu.Lock()
			parts = append(parts, fmt.Sprintf("%s=%d", d.name, d.calls))
			if d.calls == 0 {
				err = errors.Join(err, fmt.Errorf("%s never observed", d.name))
			}
			d.mu.Unlock()
		}
		return strings.Join(parts, ","), err
	})
	r.do("health_report", func() (string, error) {
		hr := map[string]error{}
		for k, v := range relayer.HealthReport() {
			hr[k] = v
		}
		for k, v := range medianSvc.HealthReport() {
			hr[k] = v
		}
		var unhealthy []string
		for k, v := range hr {
			s := ""
			if v != nil {
				s = v.Error()
				unhealthy = append(unhealthy, k)
			}
			res.Health[k] = s
		}
		sort.Strings(unhealthy)
		if len(unhealthy) > 0 {
			return "", fmt.Errorf("unhealthy: %s", strings.Join(unhealthy, ","))
		}
		return fmt.Sprintf("%d entries", len(hr)), nil
	})

	if surface {
		res.Surface = checkSurface(ctx, relayer)
	}

	if benchN > 0 {
		res.BenchN = benchN
		r.do("bench_observation", func() (string, error) {
			d, err := timeN(benchN, func() error {
				o, err := rp.Observation(ctx, roundTimestamp, roundQuery)
				if err == nil && !bytes.Equal(o, observation) {
					err = fmt.Errorf("observation %x", []byte(o))
				}
				return err
			})
			res.ObservationP50US, res.ObservationMeanUS, res.ObservationP99US = stats(d)
			return fmt.Sprintf("p50 %.1fus mean %.1fus", res.ObservationP50US, res.ObservationMeanUS), err
		})
		r.do("bench_digest_prefix", func() (string, error) {
			ocd := provider.OffchainConfigDigester()
			d, err := timeN(benchN, func() error {
				p, err := ocd.ConfigDigestPrefix(ctx)
				if err == nil && p != provDigestPrefix {
					err = fmt.Errorf("prefix %d", p)
				}
				return err
			})
			res.DigestPrefixP50US, res.DigestPrefixMeanUS, res.DigestPrefixP99US = stats(d)
			return fmt.Sprintf("p50 %.1fus mean %.1fus", res.DigestPrefixP50US, res.DigestPrefixMeanUS), err
		})
	}
}

// checkProvider calls every provider service from the host and compares the
// answers with the relayer's median provider fixture.
func checkProvider(ctx context.Context, r *runner, p types.MedianProvider) {
	r.do("provider_offchain_config_digester", func() (string, error) {
		ocd := p.OffchainConfigDigester()
		prefix, err := ocd.ConfigDigestPrefix(ctx)
		if err != nil {
			return "", err
		}
		if prefix != provDigestPrefix {
			return "", fmt.Errorf("ConfigDigestPrefix %d, want %d", prefix, provDigestPrefix)
		}
		d, err := ocd.ConfigDigest(ctx, provConfig)
		if err != nil {
			return "", err
		}
		if d != provDigest {
			return "", fmt.Errorf("ConfigDigest %x, want %x", d, provDigest)
		}
		return fmt.Sprintf("prefix %d", prefix), nil
	})
	r.do("provider_contract_config_tracker", func() (string, error) {
		cct := p.ContractConfigTracker()
		cib, d, err := cct.LatestConfigDetails(ctx)
		if err != nil {
			return "", err
		}
		if cib != provChangedInBlock || d != provDigest {
			return "", fmt.Errorf("LatestConfigDetails (%d, %x), want (%d, %x)", cib, d, provChangedInBlock, provDigest)
		}
		h, err := cct.LatestBlockHeight(ctx)
		if err != nil {
			return "", err
		}
		if h != provBlockHeight {
			return "", fmt.Errorf("LatestBlockHeight %d, want %d", h, provBlockHeight)
		}
		cfg, err := cct.LatestConfig(ctx, cib)
		if err != nil {
			return "", err
		}
		if !reflect.DeepEqual(cfg, provConfig) {
			return "", fmt.Errorf("LatestConfig %+v, want %+v", cfg, provConfig)
		}
		return "", nil
	})
	r.do("provider_contract_transmitter", func() (string, error) {
		ct := p.ContractTransmitter()
		acct, err := ct.FromAccount(ctx)
		if err != nil {
			return "", err
		}
		if acct != provAccount {
			return "", fmt.Errorf("FromAccount %q, want %q", acct, provAccount)
		}
		d, e, err := ct.LatestConfigDigestAndEpoch(ctx)
		if err != nil {
			return "", err
		}
		if d != provDigest || e != provEpoch {
			return "", fmt.Errorf("LatestConfigDigestAndEpoch (%x, %d), want (%x, %d)", d, e, provDigest, provEpoch)
		}
		return "", ct.Transmit(ctx, provReportContext, provTransmitReport, provSigs)
	})
	r.do("provider_report_codec", func() (string, error) {
		rc := p.ReportCodec()
		rep, err := rc.BuildReport(ctx, provPobs)
		if err != nil {
			return "", err
		}
		if !bytes.Equal(rep, roundReport) {
			return "", fmt.Errorf("BuildReport %x, want %x", []byte(rep), roundReport)
		}
		m, err := rc.MedianFromReport(ctx, rep)
		if err != nil {
			return "", err
		}
		if m.Cmp(provMedian) != 0 {
			return "", fmt.Errorf("MedianFromReport %s, want %s", m, provMedian)
		}
		n, err := rc.MaxReportLength(ctx, 12)
		if err != nil {
			return "", err
		}
		if n != provMaxReportLen {
			return "", fmt.Errorf("MaxReportLength %d, want %d", n, provMaxReportLen)
		}
		return "", nil
	})
	r.do("provider_median_contract", func() (string, error) {
		mc := p.MedianContract()
		d, e, rd, ans, ts, err := mc.LatestTransmissionDetails(ctx)
		if err != nil {
			return "", err
		}
		if d != provMCDigest || e != provMCEpoch || rd != provMCRound || ans.Cmp(provMCAnswer) != 0 || !ts.Equal(provMCTimestamp) {
			return "", fmt.Errorf("LatestTransmissionDetails (%x, %d, %d, %s, %s)", d, e, rd, ans, ts.Format(time.RFC3339Nano))
		}
		d, e, rd, err = mc.LatestRoundRequested(ctx, provMCLookback)
		if err != nil {
			return "", err
		}
		if d != provMCDigest || e != provMCEpoch || rd != provMCRound {
			return "", fmt.Errorf("LatestRoundRequested (%x, %d, %d)", d, e, rd)
		}
		return ts.Format(time.RFC3339Nano), nil
	})
	r.do("provider_onchain_config_codec", func() (string, error) {
		occ := p.OnchainConfigCodec()
		enc, err := occ.Encode(ctx, provOnchainConfig)
		if err != nil {
			return "", err
		}
		if !bytes.Equal(enc, provOnchainEncoded) {
			return "", fmt.Errorf("Encode %x, want %x", enc, provOnchainEncoded)
		}
		dec, err := occ.Decode(ctx, provOnchainEncoded)
		if err != nil {
			return "", err
		}
		if dec.Min.Cmp(provOnchainConfig.Min) != 0 || dec.Max.Cmp(provOnchainConfig.Max) != 0 {
			return "", fmt.Errorf("Decode {%s %s}", dec.Min, dec.Max)
		}
		return "", nil
	})
	r.do("provider_contract_reader", func() (string, error) {
		cr := p.ContractReader()
		if cr == nil {
			return "", errors.New("provider has no ContractReader (the Go median plugin needs one)")
		}
		params := map[string]any{}
		for k, v := range crParams {
			params[k] = v
		}
		got := map[string]any{}
		if err := cr.GetLatestValue(ctx, crReadIdentifier, primitives.Unconfirmed, &params, &got); err != nil {
			return "", err
		}
		if !reflect.DeepEqual(got, crReturn) {
			return "", fmt.Errorf("GetLatestValue %v, want %v", got, crReturn)
		}
		return crReadIdentifier, nil
	})
}

func timeN(n int, fn func() error) ([]time.Duration, error) {
	d := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := fn(); err != nil {
			return d, fmt.Errorf("call %d: %w", i, err)
		}
		d = append(d, time.Since(start))
	}
	return d, nil
}

// stats returns p50, mean and p99 in microseconds (one decimal).
func stats(d []time.Duration) (p50, mean, p99 float64) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	s := append([]time.Duration{}, d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	var sum time.Duration
	for _, x := range s {
		sum += x
	}
	us := func(x time.Duration) float64 { return math.Round(float64(x.Nanoseconds())/100) / 10 }
	idx := func(q float64) int {
		i := int(math.Ceil(q*float64(len(s)))) - 1
		if i < 0 {
			i = 0
		}
		return i
	}
	return us(s[idx(0.5)]), us(sum / time.Duration(len(s))), us(s[idx(0.99)])
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// reapChildren finds processes whose parent is this process, SIGKILLs and
// reaps them, and returns how many there were.
func reapChildren() int {
	me := os.Getpid()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// stat: pid (comm) state ppid ...
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		if ppid != me || f[0] == "Z" {
			continue
		}
		n++
		_ = syscall.Kill(pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil)
	}
	return n
}
