// Command loop-peer puts chainlink-common v0.11.1's own ContractWriter,
// ContractReader and Codec gRPC adapters on either side of a real go-plugin
// connection, with every VersionedBytes encoding Go knows.
//
// Those adapters live in chainlink-common's internal packages, which only
// code inside that module may import; scripts/interop-build.mjs therefore
// builds this file inside a copy of the pinned module fetched from the Go
// module proxy (the directory name starts with "_" so that the interop/loop
// module itself ignores it).
//
//	loop-peer -serve          a go-plugin plugin serving Go's server adapters
//	                          over static Go implementations (launched by a TS host)
//	loop-peer -host CMD ARGS  a go-plugin host launching CMD (a TS plugin serving
//	                          the TS server adapters) and calling it with Go's
//	                          clients, once per encoding; prints one JSON line
//	loop-peer -vectors        Go's own VersionedBytes encodings and decode
//	                          errors for a fixed set of values, as one JSON line
//	loop-peer -loop-relayer   chainlink-common's test relayer served as a
//	                          production LOOP binary serves (loop.MustNewStartedServer:
//	                          Prometheus, grpc-prometheus metrics on every server)
//
// The static implementations behave exactly as the TS ones in
// test/fixtures/loop/adapter-peer.ts, so one set of expectations holds for
// both directions.
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	codecpb "github.com/smartcontractkit/chainlink-common/pkg/internal/codec"
	"github.com/smartcontractkit/chainlink-common/pkg/logger"
	"github.com/smartcontractkit/chainlink-common/pkg/loop/internal/net"
	"github.com/smartcontractkit/chainlink-common/pkg/loop/internal/pb"
	"github.com/smartcontractkit/chainlink-common/pkg/loop/internal/relayer/pluginprovider/contractreader"
	"github.com/smartcontractkit/chainlink-common/pkg/loop/internal/relayer/pluginprovider/contractwriter"
	"github.com/smartcontractkit/chainlink-common/pkg/types"
	"github.com/smartcontractkit/chainlink-common/pkg/types/query"
	"github.com/smartcontractkit/chainlink-common/pkg/types/query/primitives"
	"github.com/smartcontractkit/chainlink-protos/cre/go/values"
)

var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "LOOP_ADAPTER_PEER",
	MagicCookieValue: "chainlink-common-v0.11.1-adapters",
}

// ---------------------------------------------------------------------------
// Static implementations (mirrored in test/fixtures/loop/adapter-peer.ts).

const (
	contractName = "anyContract"
	method       = "anyMethod"
	toAddress    = "0x24"
	workflowID   = "workflow-1"
)

// show renders data as fmt's %v does, with a pointer to a map shown as the map.
func show(v any) string {
	if p, ok := v.(*map[string]any); ok && p != nil {
		v = *p
	}
	return fmt.Sprint(v)
}

func showCall(contract, method string, args any, to string, meta *types.TxMeta, value *big.Int) string {
	wf, gas := "<nil>", "<nil>"
	if meta != nil {
		if meta.WorkflowExecutionID != nil {
			wf = *meta.WorkflowExecutionID
		}
		if meta.GasLimit != nil {
			gas = meta.GasLimit.String()
		}
	}
	val := "<nil>"
	if value != nil {
		val = value.String()
	}
	return fmt.Sprintf("%s %s %s %s %s %s %s", contract, method, show(args), to, wf, gas, val)
}

var expectedCall = showCall(contractName, method, map[string]any{"amount": 42, "memo": "hello"}, toAddress,
	&types.TxMeta{WorkflowExecutionID: ptr(workflowID), GasLimit: big.NewInt(21000)}, big.NewInt(5))

func ptr[T any](v T) *T { return &v }

type staticWriter struct {
	submitted map[string]bool
}

func (w *staticWriter) Start(context.Context) error    { return nil }
func (w *staticWriter) Close() error                   { return nil }
func (w *staticWriter) Ready() error                   { return nil }
func (w *staticWriter) HealthReport() map[string]error { return map[string]error{w.Name(): nil} }
func (w *staticWriter) Name() string                   { return "staticAdapterPeerWriter" }

func (w *staticWriter) check(contract, method string, args any, to string, meta *types.TxMeta, value *big.Int) error {
	if got := showCall(contract, method, args, to, meta, value); got != expectedCall {
		return fmt.Errorf("expected call %s but got %s", expectedCall, got)
	}
	return nil
}

func (w *staticWriter) SubmitTransaction(_ context.Context, contract, method string, args any, txID string, to string, meta *types.TxMeta, value *big.Int) error {
	if err := w.check(contract, method, args, to, meta, value); err != nil {
		return err
	}
	if w.submitted[txID] {
		return fmt.Errorf("transaction %s already submitted", txID)
	}
	w.submitted[txID] = true
	return nil
}

func (w *staticWriter) GetTransactionStatus(_ context.Context, txID string) (types.TransactionStatus, error) {
	if !w.submitted[txID] {
		return types.Unknown, fmt.Errorf("transaction %s not found", txID)
	}
	return types.Finalized, nil
}

func (w *staticWriter) GetFeeComponents(context.Context) (*types.ChainFeeComponents, error) {
	return &types.ChainFeeComponents{ExecutionFee: big.NewInt(1_000_000_000), DataAvailabilityFee: big.NewInt(7)}, nil
}

func (w *staticWriter) GetEstimateFee(_ context.Context, contract, method string, args any, to string, meta *types.TxMeta, value *big.Int) (types.EstimateFee, error) {
	if err := w.check(contract, method, args, to, meta, value); err != nil {
		return types.EstimateFee{}, err
	}
	fee := new(big.Int).Mul(meta.GasLimit, big.NewInt(1_000_000_000))
	return types.EstimateFee{Fee: fee.Add(fee, value), Decimals: 18}, nil
}

// echoReader answers a read with what it was asked: the reply is encoded in
// the request's encoding, so a client sees its params after a round trip.
type echoReader struct {
	types.UnimplementedContractReader
}

func (echoReader) GetLatestValue(_ context.Context, readIdentifier string, confidence primitives.ConfidenceLevel, params, returnVal any) error {
	p, ok := params.(*map[string]any)
	r, ok2 := returnVal.(*map[string]any)
	if !ok || !ok2 {
		return fmt.Errorf("unexpected types %T, %T", params, returnVal)
	}
	*r = map[string]any{"read": readIdentifier, "confidence": string(confidence), "params": *p}
	return nil
}

// BatchGetLatestValues answers each read with its name and params.
func (echoReader) BatchGetLatestValues(_ context.Context, request types.BatchGetLatestValuesRequest) (types.BatchGetLatestValuesResult, error) {
	out := types.BatchGetLatestValuesResult{}
	for contract, reads := range request {
		for _, r := range reads {
			res := types.BatchReadResult{ReadName: r.ReadName}
			res.SetResult(map[string]any{"read": r.ReadName, "params": r.Params}, nil)
			out[contract] = append(out[contract], res)
		}
	}
	return out, nil
}

// comparatorValues lists a filter's comparator values, depth first.
func comparatorValues(exprs []query.Expression) []any {
	out := []any{}
	for _, e := range exprs {
		if e.IsPrimitive() {
			if c, ok := e.Primitive.(*primitives.Comparator); ok {
				for _, vc := range c.ValueComparators {
					out = append(out, vc.Value)
				}
			}
			continue
		}
		out = append(out, comparatorValues(e.BoolExpression.Expressions)...)
	}
	return out
}

// QueryKey answers with one sequence whose data names the key and echoes the comparator values.
func (echoReader) QueryKey(_ context.Context, contract types.BoundContract, filter query.KeyFilter, _ query.LimitAndSort, _ any) ([]types.Sequence, error) {
	return []types.Sequence{{
		Cursor: "echo-1", TxHash: []byte{1}, Head: types.Head{Height: "7", Hash: []byte{2}, Timestamp: 1700000000},
		Data: map[string]any{"key": contract.ReadIdentifier(filter.Key), "values": comparatorValues(filter.Expressions)},
	}}, nil
}

// staticCodec: Encode names what it was given, Decode gives a fixed value of
// every kind the encodings carry.
type staticCodec struct{}

func decodedValue(raw []byte, itemType string) map[string]any {
	return map[string]any{
		"raw": string(raw), "itemType": itemType, "n": int64(7), "neg": int64(-3), "f": 1.5,
		"big": new(big.Int).Lsh(big.NewInt(1), 70), "b": []byte{1, 2, 3}, "ok": true, "none": nil,
		"list": []any{"x", int64(1)},
	}
}

func (staticCodec) Encode(_ context.Context, item any, itemType string) ([]byte, error) {
	return []byte(itemType + ":" + show(item)), nil
}

func (staticCodec) Decode(_ context.Context, raw []byte, into any, itemType string) error {
	p, ok := into.(*map[string]any)
	if !ok {
		return fmt.Errorf("unexpected type %T", into)
	}
	*p = decodedValue(raw, itemType)
	return nil
}

func (staticCodec) GetMaxEncodingSize(_ context.Context, n int, itemType string) (int, error) {
	return n*8 + len(itemType), nil
}

func (staticCodec) GetMaxDecodingSize(_ context.Context, n int, itemType string) (int, error) {
	return n * 4, nil
}

// ---------------------------------------------------------------------------
// The plugin (-serve) and the host (-host).

type peerPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (peerPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	contractwriter.RegisterContractWriterService(s, &staticWriter{submitted: map[string]bool{}})
	pb.RegisterContractReaderServer(s, contractreader.NewServer(echoReader{}))
	codecpb.RegisterCodecServer(s, contractreader.NewCodecServer(staticCodec{}))
	return nil
}

func (peerPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	return cc, nil
}

type outcome struct {
	OK    bool   `json:"ok"`
	Value any    `json:"value,omitempty"`
	Error string `json:"error,omitempty"`
	Code  string `json:"code,omitempty"`
}

func record(out map[string]outcome, name string, v any, err error) {
	if err != nil {
		o := outcome{Error: err.Error()}
		if s, ok := status.FromError(err); ok {
			o.Code = s.Code().String()
		}
		out[name] = o
		return
	}
	out[name] = outcome{OK: true, Value: v}
}

// typed renders decoded data with each Go type, so the caller sees what Go
// made of the bytes: "map[amount:uint64(42) …]".
func typed(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + typed(x[k])
		}
		return "map[" + strings.Join(parts, " ") + "]"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = typed(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case *map[string]any:
		return "&" + typed(deref(x))
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = e
		}
		return "cbor" + typed(m)
	case nil:
		return "<nil>"
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

func deref(v any) any {
	if p, ok := v.(*map[string]any); ok && p != nil {
		return *p
	}
	return v
}

var encodings = []codecpb.EncodingVersion{codecpb.JSONEncodingVersion1, codecpb.JSONEncodingVersion2, codecpb.CBOREncodingVersion, codecpb.ValuesEncodingVersion}

func callAll(ctx context.Context, cc *grpc.ClientConn) map[string]outcome {
	out := map[string]outcome{}
	be := &net.BrokerExt{BrokerConfig: net.BrokerConfig{Logger: logger.Nop()}}
	args := map[string]any{"amount": uint64(42), "memo": "hello"}
	meta := &types.TxMeta{WorkflowExecutionID: ptr(workflowID), GasLimit: big.NewInt(21000)}
	for _, enc := range encodings {
		p := fmt.Sprintf("enc%d/", enc)
		cw := contractwriter.NewClient(be, cc, contractwriter.WithClientEncoding(enc))
		tx := fmt.Sprintf("tx-%d", enc)
		record(out, p+"writer/submit_transaction", nil, cw.SubmitTransaction(ctx, contractName, method, args, tx, toAddress, meta, big.NewInt(5)))
		st, err := cw.GetTransactionStatus(ctx, tx)
		record(out, p+"writer/get_transaction_status", int(st), err)
		ef, err := cw.GetEstimateFee(ctx, contractName, method, args, toAddress, meta, big.NewInt(5))
		record(out, p+"writer/get_estimate_fee", map[string]any{"fee": ef.Fee.String(), "decimals": ef.Decimals}, err)
		err = cw.SubmitTransaction(ctx, contractName, method, []any{"not", "a", "map"}, tx+"-bad", toAddress, nil, nil)
		record(out, p+"writer/submit_transaction_bad_params", nil, err)
		err = cw.SubmitTransaction(ctx, contractName, method, map[string]any{"amount": uint64(43), "memo": "hello"}, tx+"-wrong", toAddress, meta, big.NewInt(5))
		record(out, p+"writer/submit_transaction_wrong_args", nil, err)

		cr := contractreader.NewClient(nil, pb.NewContractReaderClient(cc), contractreader.WithClientEncoding(enc))
		ret := map[string]any{}
		err = cr.GetLatestValue(ctx, "0x24-anyContract-anyMethod", primitives.Finalized, args, &ret)
		record(out, p+"reader/get_latest_value", typed(ret), err)
		var vret values.Value
		err = cr.GetLatestValue(ctx, "0x24-anyContract-anyMethod", primitives.Unconfirmed, args, &vret)
		var vv any
		if err == nil {
			vv, err = values.Unwrap(vret)
		}
		record(out, p+"reader/get_latest_value_as_values", typed(vv), err)

		contract := types.BoundContract{Address: "0x24", Name: "anyContract"}
		batch := types.BatchGetLatestValuesRequest{contract: {{ReadName: "anyMethod", Params: args, ReturnVal: &map[string]any{}}}}
		bres, err := cr.BatchGetLatestValues(ctx, batch)
		var bv []any
		for bc, results := range bres {
			for _, r := range results {
				v, rerr := r.GetResult()
				bv = append(bv, map[string]any{"contract": bc.Address + "/" + bc.Name, "readName": r.ReadName, "value": typed(deref(v)), "error": fmt.Sprint(rerr)})
			}
		}
		record(out, p+"reader/batch_get_latest_values", bv, err)
		filter := query.KeyFilter{Key: "anyEvent", Expressions: []query.Expression{
			query.Comparator("field", primitives.ValueComparator{Value: args, Operator: primitives.Eq}),
			query.Or(query.Block("1", primitives.Eq), query.Comparator("other", primitives.ValueComparator{Value: map[string]any{"x": "y"}, Operator: primitives.Gt})),
		}}
		seqs, err := cr.QueryKey(ctx, contract, filter, query.NewLimitAndSort(query.CountLimit(5)), &map[string]any{})
		var sv []any
		for _, sq := range seqs {
			sv = append(sv, map[string]any{"cursor": sq.Cursor, "txHash": hex.EncodeToString(sq.TxHash), "height": sq.Height, "hash": hex.EncodeToString(sq.Hash), "timestamp": sq.Timestamp, "data": typed(deref(sq.Data))})
		}
		record(out, p+"reader/query_key", sv, err)
		_, err = cr.QueryKey(ctx, contract, query.KeyFilter{Key: "anyEvent", Expressions: []query.Expression{
			query.Comparator("field", primitives.ValueComparator{Value: "not a map", Operator: primitives.Eq}),
		}}, query.NewLimitAndSort(query.CountLimit(5)), &map[string]any{})
		record(out, p+"reader/query_key_bad_value", nil, err)

		codec := contractreader.NewCodecClient(be, cc, contractreader.WithCodecClientEncoding(enc))
		b, err := codec.Encode(ctx, args, "anyItem")
		record(out, p+"codec/encode", string(b), err)
		dec := map[string]any{}
		err = codec.Decode(ctx, []byte("raw-bytes"), &dec, "anyItem")
		record(out, p+"codec/decode", typed(dec), err)
	}
	be2 := &net.BrokerExt{BrokerConfig: net.BrokerConfig{Logger: logger.Nop()}}
	codec := contractreader.NewCodecClient(be2, cc)
	n, err := codec.GetMaxEncodingSize(ctx, 3, "anyItem")
	record(out, "codec/max_encoding_size", n, err)
	n, err = codec.GetMaxDecodingSize(ctx, 3, "anyItem")
	record(out, "codec/max_decoding_size", n, err)
	// A version Go does not know: the server answers after decoding.
	bad := contractreader.NewCodecClient(be2, cc, contractreader.WithCodecClientEncoding(7))
	dec := map[string]any{}
	record(out, "codec/decode_unsupported_version", nil, bad.Decode(ctx, []byte("raw-bytes"), &dec, "anyItem"))
	cw := contractwriter.NewClient(be2, cc)
	record(out, "writer/submit_transaction_nil_meta", nil, cw.SubmitTransaction(ctx, contractName, method, map[string]any{"amount": uint64(42), "memo": "hello"}, "tx-nil", toAddress, nil, nil))
	record(out, "writer/submit_transaction_no_gas_limit", nil, cw.SubmitTransaction(ctx, contractName, method, map[string]any{"amount": uint64(42), "memo": "hello"}, "tx-nogas", toAddress, &types.TxMeta{WorkflowExecutionID: ptr(workflowID)}, big.NewInt(5)))
	fc, err := cw.GetFeeComponents(ctx)
	var fv any
	if fc != nil {
		fv = map[string]any{"executionFee": fc.ExecutionFee.String(), "dataAvailabilityFee": fc.DataAvailabilityFee.String()}
	}
	record(out, "writer/get_fee_components", fv, err)
	_, err = cw.GetTransactionStatus(ctx, "tx-unknown")
	record(out, "writer/get_transaction_status_unknown", nil, err)
	record(out, "writer/ready", nil, cw.Ready())
	hr := cw.HealthReport()
	keys := []string{}
	for k := range hr {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	record(out, "writer/health_report", keys, nil)
	return out
}

func host(argv []string) int {
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          map[string]plugin.Plugin{"peer": peerPlugin{}},
		Cmd:              exec.Command(argv[0], argv[1:]...),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Output: os.Stderr, Level: hclog.Warn}),
		StartTimeout:     60 * time.Second,
	})
	defer client.Kill()
	res := map[string]any{}
	fail := func(err error) int {
		res["error"] = err.Error()
		b, _ := json.Marshal(res)
		fmt.Println(string(b))
		return 1
	}
	rpc, err := client.Client()
	if err != nil {
		return fail(err)
	}
	raw, err := rpc.Dispense("peer")
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res["calls"] = callAll(ctx, raw.(*grpc.ClientConn))
	b, err := json.Marshal(res)
	if err != nil {
		return fail(err)
	}
	fmt.Println(string(b))
	return 0
}

// ---------------------------------------------------------------------------
// -vectors

func vectors() int {
	cases := map[string]any{
		"map":        map[string]any{"a": int64(42), "s": "<&>\u2028\x01é😀\"\\", "f": 1.5, "e": 1e21, "tiny": 1e-7, "b": []byte{1, 2, 3}, "big": new(big.Int).Lsh(big.NewInt(1), 70), "negbig": new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 70)), "t": time.Date(2024, 1, 2, 3, 4, 5, 123000000, time.UTC), "none": nil, "list": []any{int64(-1), true, nil, "x"}},
		"one_int":    map[string]any{"a": int64(42)},
		"one_float":  map[string]any{"f": 0.1},
		"one_string": map[string]any{"s": "<&>\u2028\x01é😀\"\\\t\n"},
		"one_bytes":  map[string]any{"b": []byte{0, 255, 16}},
		"one_big":    map[string]any{"big": new(big.Int).Lsh(big.NewInt(1), 70)},
		"one_time":   map[string]any{"t": time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		"list":       []any{int64(1), "two", 3.5, false, nil, []any{}, map[string]any{}},
		"empty_map":  map[string]any{},
		"string":     "plain",
		"int":        int64(-7),
	}
	enc := map[string]map[string]string{}
	for name, v := range cases {
		enc[name] = map[string]string{}
		for _, e := range encodings {
			vb, err := codecpb.EncodeVersionedBytes(v, e)
			if err != nil {
				enc[name][fmt.Sprint(e)] = "error: " + err.Error()
				continue
			}
			enc[name][fmt.Sprint(e)] = hex.EncodeToString(vb.Data)
		}
	}
	// What each version's decoder says when the data is not a map (the target of Go's map-decoding servers).
	notMap := map[string]map[string]string{}
	for name, v := range map[string]any{"array": []any{"a"}, "string": "s", "number": int64(5), "bool": true} {
		notMap[name] = map[string]string{}
		for _, e := range encodings {
			vb, err := codecpb.EncodeVersionedBytes(v, e)
			if err != nil {
				notMap[name][fmt.Sprint(e)] = "encode error: " + err.Error()
				continue
			}
			m := map[string]any{}
			err = codecpb.DecodeVersionedBytes(&m, vb)
			notMap[name][fmt.Sprint(e)] = fmt.Sprint(err)
		}
	}
	_, encErr := codecpb.EncodeVersionedBytes(map[string]any{"k": "v"}, 7)
	decErr := codecpb.DecodeVersionedBytes(&map[string]any{}, &codecpb.VersionedBytes{Version: 7, Data: []byte{1, 2, 3}})
	code := status.Code(encErr).String()
	b, _ := json.Marshal(map[string]any{"encodings": enc, "not_a_map": notMap, "encode_unsupported": encErr.Error(), "encode_unsupported_code": code, "decode_unsupported": decErr.Error()})
	fmt.Println(string(b))
	return 0
}

func main() {
	serve := flag.Bool("serve", false, "serve Go's adapters as a go-plugin plugin")
	hostMode := flag.Bool("host", false, "launch the plugin command given as arguments and call it with Go's clients")
	vec := flag.Bool("vectors", false, "print Go's VersionedBytes encodings and decode errors")
	loopRelayer := flag.Bool("loop-relayer", false, "serve chainlink-common's test relayer as a production LOOP binary does (loop.MustNewStartedServer, its GRPCOpts)")
	flag.Parse()
	switch {
	case *loopRelayer:
		os.Exit(serveLoopRelayer())
	case *serve:
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig: handshake,
			Plugins:         map[string]plugin.Plugin{"peer": peerPlugin{}},
			GRPCServer:      plugin.DefaultGRPCServer,
		})
	case *hostMode && flag.NArg() > 0:
		os.Exit(host(flag.Args()))
	case *vec:
		os.Exit(vectors())
	default:
		fmt.Fprintln(os.Stderr, errors.New("usage: loop-peer -serve | -host CMD [ARGS…] | -vectors | -loop-relayer"))
		os.Exit(2)
	}
}
