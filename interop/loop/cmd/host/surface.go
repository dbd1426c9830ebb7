package main

// The relayer surface beyond the median round (-surface): ConfigProvider,
// ContractReader (every RPC, both encodings a Go client can ask for, and bad
// input) and ContractWriter, called through the relayer chainlink-common's
// RelayerService hands the host. Each call's outcome is recorded, not judged:
// the relayer under test may be chainlink-common's static test relayer or a
// TypeScript one, and the caller compares the outcomes with what that relayer
// should answer.

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc/status"

	"github.com/smartcontractkit/chainlink-common/pkg/loop"
	"github.com/smartcontractkit/chainlink-common/pkg/types"
	"github.com/smartcontractkit/chainlink-common/pkg/types/ccipocr3"
	"github.com/smartcontractkit/chainlink-common/pkg/types/query"
	"github.com/smartcontractkit/chainlink-common/pkg/types/query/primitives"
	"github.com/smartcontractkit/chainlink-protos/cre/go/values"
)

// outcome of one call: a value rendered as JSON-friendly data, or the error
// text with its gRPC code.
type outcome struct {
	OK    bool   `json:"ok"`
	Value any    `json:"value,omitempty"`
	Error string `json:"error,omitempty"`
	Code  string `json:"code,omitempty"`
}

// Inputs shared with the TS side of the matrix (test/fixtures/loop).
var (
	crConfig      = []byte("test")
	cwConfig      = []byte("chainwriterconfig")
	boundContract = types.BoundContract{Address: "0x24", Name: "anyContract"}
	readName      = "anyMethod"
	readParams    = map[string]any{"param1": "value1", "param2": "value2"}
	eventKey      = "anyEvent"
	keyFilter     = query.KeyFilter{Key: eventKey, Expressions: []query.Expression{
		query.Comparator("field", primitives.ValueComparator{Value: map[string]any{"value": "seven"}, Operator: primitives.Eq}),
		query.Block("10", primitives.Gte),
		query.Confidence(primitives.Finalized),
		query.Timestamp(1700000000, primitives.Lt),
		query.TxHash("0xabc"),
		query.Or(query.Block("1", primitives.Eq), query.And(query.Block("2", primitives.Gt), query.Block("3", primitives.Lt))),
	}}
	// Go's server decodes a comparator's value into the read's type (a map for
	// a relayer without a type provider): a string does not fit.
	badKeyFilter = query.KeyFilter{Key: eventKey, Expressions: []query.Expression{
		query.Comparator("field", primitives.ValueComparator{Value: "seven", Operator: primitives.Eq}),
	}}
	limitAndSort = query.NewLimitAndSort(query.CountLimit(5), query.NewSortByBlock(query.Desc))
	txID         = "tx-0001"
	workflowID   = "workflow-1"
	txArgs       = map[string]any{"amount": uint64(42), "memo": "hello"}
	ccipArgs     = types.CCIPProviderArgs{
		ExternalJobID:        relayArgs.ExternalJobID,
		ContractReaderConfig: crConfig,
		ChainWriterConfig:    cwConfig,
		OffRampAddress:       []byte("fakeAddress"),
		PluginType:           0,
		TransmitterAddress:   "fakeAddress",
		ExtraDataCodecBundle: ccipocr3.ExtraDataCodecMap{},
	}
)

func record(out map[string]outcome, name string, v any, err error) {
	if err != nil {
		o := outcome{Error: err.Error()}
		if s, ok := status.FromError(err); ok {
			o.Code = s.Code().String()
		}
		out[name] = o
		return
	}
	out[name] = outcome{OK: true, Value: jsonable(v)}
}

// jsonable renders Go values the way the TS side renders its own: bytes as
// hex, big integers and uint64 as decimal strings, map keys sorted by
// encoding/json.
func jsonable(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		return "0x" + hex.EncodeToString(x)
	case *big.Int:
		if x == nil {
			return nil
		}
		return x.String()
	case uint64:
		return fmt.Sprint(x)
	case int64:
		return fmt.Sprint(x)
	case int:
		return fmt.Sprint(x)
	case uint32:
		return fmt.Sprint(x)
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = jsonable(e)
		}
		return m
	case *map[string]any:
		if x == nil {
			return nil
		}
		return jsonable(*x)
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = jsonable(e)
		}
		return l
	case values.Value:
		u, err := values.Unwrap(x)
		if err != nil {
			return "unwrap: " + err.Error()
		}
		return jsonable(u)
	case *values.Value:
		if x == nil {
			return nil
		}
		return jsonable(*x)
	case error:
		return x.Error()
	}
	// Structs and the rest: through encoding/json (Head, Sequence, …).
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	var generic any
	_ = json.Unmarshal(b, &generic)
	return generic
}

func healthKeys(hr map[string]error) []string {
	keys := make([]string, 0, len(hr))
	for k := range hr {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sequences(seqs []types.Sequence) []any {
	out := []any{}
	for _, s := range seqs {
		out = append(out, map[string]any{
			"cursor": s.Cursor, "txHash": jsonable(s.TxHash), "height": s.Height, "hash": jsonable(s.Hash),
			"timestamp": fmt.Sprint(s.Timestamp), "data": jsonable(s.Data),
		})
	}
	return out
}

// lazyFirstCall makes the first call on a lazily created client (ContractWriter,
// CCIP provider) under a short deadline: Go's client retries a refused factory
// until the deadline, then reports it as the "last error". When the deadline ends
// before the relayer has answered even once (a loaded machine), there is no such
// answer to report, and the call is made again with a longer deadline.
func lazyFirstCall(ctx context.Context, call func(context.Context) error) error {
	var err error
	for _, d := range []time.Duration{3 * time.Second, 10 * time.Second, 30 * time.Second} {
		short, cancel := context.WithTimeout(ctx, d)
		err = call(short)
		cancel()
		unanswered := err != nil && (!strings.Contains(err.Error(), "last error: ") || strings.HasSuffix(err.Error(), "desc = context deadline exceeded"))
		if !unanswered || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func checkSurface(ctx context.Context, relayer *loop.RelayerService) map[string]outcome {
	out := map[string]outcome{}

	// The relayer itself (its chain status carries a TS relayer's registry probe, see -registry).
	cs, err := relayer.GetChainStatus(ctx)
	record(out, "relayer/chain_status", map[string]any{"id": cs.ID, "enabled": cs.Enabled, "config": cs.Config}, err)

	// ConfigProvider.
	cp, err := relayer.NewConfigProvider(ctx, relayArgs)
	record(out, "config_provider/new", nil, err)
	if err == nil {
		ocd := cp.OffchainConfigDigester()
		prefix, err := ocd.ConfigDigestPrefix(ctx)
		record(out, "config_provider/config_digest_prefix", uint64(prefix), err)
		d, err := ocd.ConfigDigest(ctx, provConfig)
		record(out, "config_provider/config_digest", d[:], err)
		cct := cp.ContractConfigTracker()
		changed, digest, err := cct.LatestConfigDetails(ctx)
		record(out, "config_provider/latest_config_details", map[string]any{"changedInBlock": changed, "configDigest": digest[:]}, err)
		cc, err := cct.LatestConfig(ctx, provChangedInBlock)
		record(out, "config_provider/latest_config", map[string]any{
			"configDigest": cc.ConfigDigest[:], "configCount": cc.ConfigCount, "f": uint64(cc.F),
			"onchainConfig": cc.OnchainConfig, "offchainConfigVersion": cc.OffchainConfigVersion, "offchainConfig": cc.OffchainConfig,
			"transmitters": fmt.Sprint(cc.Transmitters), "signers": len(cc.Signers),
		}, err)
		h, err := cct.LatestBlockHeight(ctx)
		record(out, "config_provider/latest_block_height", h, err)
		record(out, "config_provider/ready", nil, cp.Ready())
		record(out, "config_provider/close", nil, ignoreCanceled(cp.Close()))
	}

	// ContractReader.
	cr, err := relayer.NewContractReader(ctx, crConfig)
	record(out, "contract_reader/new", nil, err)
	if err == nil {
		record(out, "contract_reader/start", nil, cr.Start(ctx))
		id := boundContract.ReadIdentifier(readName)

		ret := map[string]any{}
		err := cr.GetLatestValue(ctx, id, primitives.Unconfirmed, readParams, &ret)
		record(out, "contract_reader/get_latest_value", ret, err)

		var vret values.Value
		err = cr.GetLatestValue(ctx, id, primitives.Finalized, readParams, &vret)
		record(out, "contract_reader/get_latest_value_as_values", vret, err)

		ret = map[string]any{}
		head, err := cr.GetLatestValueWithHeadData(ctx, id, primitives.Safe, readParams, &ret)
		var hv any
		if head != nil {
			hv = map[string]any{"height": head.Height, "hash": jsonable(head.Hash), "timestamp": fmt.Sprint(head.Timestamp)}
		}
		record(out, "contract_reader/get_latest_value_with_head_data", map[string]any{"value": ret, "head": hv}, err)

		ret = map[string]any{}
		err = cr.GetLatestValue(ctx, boundContract.ReadIdentifier("noSuchMethod"), primitives.Unconfirmed, readParams, &ret)
		record(out, "contract_reader/get_latest_value_unknown_read", ret, err)

		batch := types.BatchGetLatestValuesRequest{boundContract: {{ReadName: readName, Params: readParams, ReturnVal: &map[string]any{}}}}
		res, err := cr.BatchGetLatestValues(ctx, batch)
		var bv []any
		for bc, results := range res {
			for _, r := range results {
				v, rerr := r.GetResult()
				e := ""
				if rerr != nil {
					e = rerr.Error()
				}
				bv = append(bv, map[string]any{"contract": bc.Address + "/" + bc.Name, "readName": r.ReadName, "value": jsonable(v), "error": e})
			}
		}
		record(out, "contract_reader/batch_get_latest_values", bv, err)

		seqs, err := cr.QueryKey(ctx, boundContract, keyFilter, limitAndSort, &map[string]any{})
		record(out, "contract_reader/query_key", sequences(seqs), err)

		_, err = cr.QueryKey(ctx, boundContract, badKeyFilter, limitAndSort, &map[string]any{})
		record(out, "contract_reader/query_key_bad_value", nil, err)

		var vseq values.Value
		seqs, err = cr.QueryKey(ctx, boundContract, keyFilter, limitAndSort, &vseq)
		record(out, "contract_reader/query_key_as_values", sequences(seqs), err)

		it, err := cr.QueryKeys(ctx, []types.ContractKeyFilter{{Contract: boundContract, KeyFilter: keyFilter, SequenceDataType: &map[string]any{}}}, limitAndSort)
		var kv []any
		if err == nil {
			for k, s := range it {
				kv = append(kv, map[string]any{"key": k, "sequence": sequences([]types.Sequence{s})[0]})
			}
		}
		record(out, "contract_reader/query_keys", kv, err)

		record(out, "contract_reader/bind", nil, cr.Bind(ctx, []types.BoundContract{boundContract}))
		record(out, "contract_reader/unbind", nil, cr.Unbind(ctx, []types.BoundContract{boundContract}))
		record(out, "contract_reader/ready", nil, cr.Ready())
		record(out, "contract_reader/health_report", healthKeys(cr.HealthReport()), nil)
		record(out, "contract_reader/close", nil, ignoreCanceled(cr.Close()))
	}

	// ContractWriter. Go's client runs NewContractWriter lazily, on the first
	// call, and retries a refused one until the call's context ends; a relayer
	// without a writer (chainlink-common's static one) therefore shows up as the
	// first call's error after a short deadline, and the other calls are skipped.
	cw, err := relayer.NewContractWriter(ctx, cwConfig)
	record(out, "contract_writer/new", nil, err)
	if err == nil {
		wf := workflowID
		meta := &types.TxMeta{WorkflowExecutionID: &wf, GasLimit: big.NewInt(21000)}
		err := lazyFirstCall(ctx, func(short context.Context) error {
			return cw.SubmitTransaction(short, boundContract.Name, readName, txArgs, txID, boundContract.Address, meta, big.NewInt(5))
		})
		record(out, "contract_writer/submit_transaction", nil, err)
		if err == nil {
			st, err := cw.GetTransactionStatus(ctx, txID)
			record(out, "contract_writer/get_transaction_status", int(st), err)
			fc, err := cw.GetFeeComponents(ctx)
			var fv any
			if fc != nil {
				fv = map[string]any{"executionFee": jsonable(fc.ExecutionFee), "dataAvailabilityFee": jsonable(fc.DataAvailabilityFee)}
			}
			record(out, "contract_writer/get_fee_components", fv, err)
			ef, err := cw.GetEstimateFee(ctx, boundContract.Name, readName, txArgs, boundContract.Address, meta, big.NewInt(5))
			record(out, "contract_writer/get_estimate_fee", map[string]any{"fee": jsonable(ef.Fee), "decimals": ef.Decimals}, err)
			// A params value that does not fit the server's target type (a map).
			err = cw.SubmitTransaction(ctx, boundContract.Name, readName, []any{"not", "a", "map"}, txID+"-bad", boundContract.Address, nil, nil)
			record(out, "contract_writer/submit_transaction_bad_params", nil, err)
			record(out, "contract_writer/ready", nil, cw.Ready())
			record(out, "contract_writer/close", nil, ignoreCanceled(cw.Close()))
		}
	}

	// CCIP provider, with the arguments chainlink-common's static relayer
	// expects and an ExtraDataCodecBundle the host serves on the broker. Like
	// the writer, Go's client asks lazily: the first call (here
	// GetChainFeeComponents, bounded) carries a refusal as its "last error".
	p, err := relayer.NewCCIPProvider(ctx, ccipArgs)
	record(out, "ccip_provider/new", nil, err)
	if err == nil {
		err := lazyFirstCall(ctx, func(short context.Context) error {
			_, err := p.ChainAccessor().GetChainFeeComponents(short)
			return err
		})
		record(out, "ccip_provider/get_chain_fee_components", nil, err)
		if err == nil {
			record(out, "ccip_provider/close", nil, ignoreCanceled(p.Close()))
		}
	}
	return out
}
