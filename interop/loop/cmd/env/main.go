// Command loop-env shows the environment a Go LOOP host hands to a plugin,
// and checks an environment the way a Go LOOP plugin does.
//
// Without flags it prints one JSON object:
//
//	{"zero": [...], "filled": [...], "filled_fields": {...}}
//
// "zero" is loop.EnvConfig{}.AsCmdEnv() and "filled" is AsCmdEnv() of an
// EnvConfig with the fields listed in "filled_fields" set (values as Go
// would print them: durations in time.Duration syntax). Both are lists of
// "KEY=VALUE" strings in AsCmdEnv's order.
//
// With -parse it starts chainlink-common's plugin-side server
// (loop.NewStartedServer), which parses its own environment before anything
// else; EnvConfig's parser itself is unexported. It prints
//
//	{"ok": bool, "error": "...", "stage": "env"|"server"|"", "env_config": {...}|null}
//
// "error" is NewStartedServer's error text verbatim ("" when ok); "stage" is
// "env" when the environment was rejected (the error starts with
// "error getting environment configuration: "), "server" when a later
// start-up step failed. "env_config" is the parsed loop.EnvConfig (JSON of
// the Go struct) when ok. The server is stopped again before exiting.
// Exit status 0 in both cases; 2 on usage errors.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/smartcontractkit/chainlink-common/pkg/config"
	"github.com/smartcontractkit/chainlink-common/pkg/loop"
)

const envErrPrefix = "error getting environment configuration: "

func main() {
	parse := flag.Bool("parse", false, "parse this process's environment with loop.NewStartedServer and report the result")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: loop-env [-parse]")
		os.Exit(2)
	}
	if *parse {
		runParse()
		return
	}

	dbURL, err := url.Parse("postgres://user:pass@localhost:5432/chainlink?sslmode=disable")
	if err != nil {
		panic(err)
	}
	var zero loop.EnvConfig
	filled := loop.EnvConfig{
		AppID:                                  "app",
		DatabaseURL:                            (*config.SecretURL)(dbURL),
		DatabaseQueryTimeout:                   10 * time.Second,
		DatabaseMaxOpenConns:                   20,
		DatabaseLogSQL:                         true,
		FeatureLogPoller:                       true,
		GRPCServerMaxRecvMsgSize:               8 << 20,
		MercuryCacheLatestReportTTL:            90 * time.Second,
		MercuryTransmitterProtocol:             "grpc",
		MercuryTransmitterTransmitQueueMaxSize: 100,
		MercuryTransmitterTransmitTimeout:      5 * time.Second,
		MercuryTransmitterTransmitConcurrency:  5,
		PrometheusPort:                         9090,
		TracingEnabled:                         false,
		TracingSamplingRatio:                   0.25,
		TelemetryEmitterExportMaxBatchSize:     512,
	}
	filledFields := map[string]any{
		"AppID":                                  filled.AppID,
		"DatabaseURL":                            dbURL.String(),
		"DatabaseQueryTimeout":                   filled.DatabaseQueryTimeout.String(),
		"DatabaseMaxOpenConns":                   filled.DatabaseMaxOpenConns,
		"DatabaseLogSQL":                         filled.DatabaseLogSQL,
		"FeatureLogPoller":                       filled.FeatureLogPoller,
		"GRPCServerMaxRecvMsgSize":               filled.GRPCServerMaxRecvMsgSize,
		"MercuryCacheLatestReportTTL":            filled.MercuryCacheLatestReportTTL.String(),
		"MercuryTransmitterProtocol":             filled.MercuryTransmitterProtocol,
		"MercuryTransmitterTransmitQueueMaxSize": filled.MercuryTransmitterTransmitQueueMaxSize,
		"MercuryTransmitterTransmitTimeout":      filled.MercuryTransmitterTransmitTimeout.String(),
		"MercuryTransmitterTransmitConcurrency":  filled.MercuryTransmitterTransmitConcurrency,
		"PrometheusPort":                         filled.PrometheusPort,
		"TracingEnabled":                         filled.TracingEnabled,
		"TracingSamplingRatio":                   filled.TracingSamplingRatio,
		"TelemetryEmitterExportMaxBatchSize":     filled.TelemetryEmitterExportMaxBatchSize,
	}
	out := struct {
		Zero         []string       `json:"zero"`
		Filled       []string       `json:"filled"`
		FilledFields map[string]any `json:"filled_fields"`
	}{zero.AsCmdEnv(), filled.AsCmdEnv(), filledFields}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func runParse() {
	type result struct {
		OK        bool            `json:"ok"`
		Error     string          `json:"error"`
		Stage     string          `json:"stage"`
		EnvConfig *loop.EnvConfig `json:"env_config"`
	}
	var res result
	s, err := loop.NewStartedServer("LoopEnvCheck")
	if err != nil {
		res.Error = err.Error()
		res.Stage = "server"
		if strings.HasPrefix(res.Error, envErrPrefix) {
			res.Stage = "env"
		}
	} else {
		res.OK = true
		cfg := s.EnvConfig
		res.EnvConfig = &cfg
		// Server.Stop prints a logger-sync failure (e.g. stderr is a pipe)
		// with fmt.Println; keep stdout for the JSON line only.
		stdout := os.Stdout
		os.Stdout = os.Stderr
		s.Stop()
		os.Stdout = stdout
	}
	b, err := json.Marshal(res)
	if err != nil {
		// Fall back to the fields that always marshal.
		res.EnvConfig = nil
		b, _ = json.Marshal(res)
	}
	fmt.Println(string(b))
}
