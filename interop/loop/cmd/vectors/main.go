// Command loop-vectors prints a JSON array of protobuf test vectors for the
// LOOP wire format. Each message is built with dynamicpb from the descriptors
// that chainlink-common registers, with its fields filled the way
// chainlink-common converts Go values (big.Int as sign flag plus big-endian
// magnitude, time.Duration as int64 nanoseconds, uint8 values widened to
// uint32, UUIDs as their 16 bytes), and serialised with deterministic
// proto.Marshal.
//
// Each element: {"name", "type" (full proto message name), "hex" (the
// encoded message), "value" (the semantic value: big integers and
// nanosecond durations as decimal strings, bytes as lowercase hex)}.
//
// Every vector is also decoded into chainlink-common's generated Go type
// and re-encoded; the program exits 1 if the bytes differ.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	_ "github.com/smartcontractkit/chainlink-common/pkg/loop" // registers the LOOP descriptors
)

type vector struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Hex   string `json:"hex"`
	Value any    `json:"value"`
}

// obj keeps JSON object keys in insertion order.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	out := []byte{'{'}
	for i, e := range o {
		if i > 0 {
			out = append(out, ',')
		}
		kb, err := json.Marshal(e.k)
		if err != nil {
			return nil, err
		}
		vb, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		out = append(out, kb...)
		out = append(out, ':')
		out = append(out, vb...)
	}
	return append(out, '}'), nil
}

func newMsg(full string) *dynamicpb.Message {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(full))
	if err != nil {
		panic(fmt.Sprintf("descriptor %s: %v", full, err))
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	if !ok {
		panic(full + " is not a message")
	}
	return dynamicpb.NewMessage(md)
}

func field(m *dynamicpb.Message, name string) protoreflect.FieldDescriptor {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
	if fd == nil {
		panic(fmt.Sprintf("%s has no field %s", m.Descriptor().FullName(), name))
	}
	return fd
}

// set assigns a singular field; v is a Go scalar, []byte or a message.
func set(m *dynamicpb.Message, name string, v any) *dynamicpb.Message {
	fd := field(m, name)
	switch x := v.(type) {
	case *dynamicpb.Message:
		if x == nil {
			return m
		}
		m.Set(fd, protoreflect.ValueOfMessage(x))
	case protoreflect.EnumNumber:
		m.Set(fd, protoreflect.ValueOfEnum(x))
	default:
		m.Set(fd, protoreflect.ValueOf(v))
	}
	return m
}

// add appends to a repeated field.
func add(m *dynamicpb.Message, name string, vs ...any) *dynamicpb.Message {
	fd := field(m, name)
	l := m.Mutable(fd).List()
	for _, v := range vs {
		switch x := v.(type) {
		case *dynamicpb.Message:
			l.Append(protoreflect.ValueOfMessage(x))
		default:
			l.Append(protoreflect.ValueOf(v))
		}
	}
	return m
}

func marshal(m proto.Message) []byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// bigInt mirrors chainlink-common's conversion of *big.Int to loop.BigInt:
// negative = sign < 0, value = big-endian bytes of the absolute value
// (empty for zero); a nil *big.Int is an absent message.
func bigInt(b *big.Int) *dynamicpb.Message {
	if b == nil {
		return nil
	}
	m := newMsg("loop.BigInt")
	set(m, "negative", b.Sign() < 0)
	set(m, "value", b.Bytes())
	return m
}

func h(b []byte) string { return hex.EncodeToString(b) }

func ns(d time.Duration) string { return strconv.FormatInt(int64(d), 10) }

// digest returns a 32-byte array with the given index:value pairs set.
func digest(pairs ...int) []byte {
	var d [32]byte
	for i := 0; i+1 < len(pairs); i += 2 {
		d[pairs[i]] = byte(pairs[i+1])
	}
	return d[:]
}

// sparse returns []byte{n: v}: n+1 bytes, all zero except the last.
func sparse(n int, v byte) []byte {
	b := make([]byte, n+1)
	b[n] = v
	return b
}

func reportTimestamp(configDigest []byte, epoch uint32, round uint8) (*dynamicpb.Message, obj) {
	m := newMsg("loop.ReportTimestamp")
	set(m, "configDigest", configDigest)
	set(m, "epoch", epoch)
	set(m, "round", uint32(round))
	return m, obj{{"configDigest", h(configDigest)}, {"epoch", epoch}, {"round", round}}
}

// cborParams encodes data the way chainlink-common's contract-reader client
// does for VersionedBytes version 2: fxamacker/cbor with the core
// deterministic encoding options and RFC 3339 (nanosecond) time strings.
func cborParams(data any) []byte {
	opts := cbor.CoreDetEncOptions()
	opts.Time = cbor.TimeRFC3339Nano
	em, err := opts.EncMode()
	if err != nil {
		panic(err)
	}
	b, err := em.Marshal(data)
	if err != nil {
		panic(err)
	}
	return b
}

func main() {
	var vs []vector
	push := func(name string, m *dynamicpb.Message, value any) {
		vs = append(vs, vector{Name: name, Type: string(m.Descriptor().FullName()), Hex: h(marshal(m)), Value: value})
	}

	// loop.BigInt
	two200 := new(big.Int).Lsh(big.NewInt(1), 200)
	two64 := new(big.Int).Lsh(big.NewInt(1), 64)
	bigs := []struct {
		name string
		v    *big.Int
	}{
		{"0", big.NewInt(0)},
		{"1", big.NewInt(1)},
		{"-1", big.NewInt(-1)},
		{"255", big.NewInt(255)},
		{"256", big.NewInt(256)},
		{"-1042", big.NewInt(-1042)},
		{"31", big.NewInt(31)},
		{"1234567890987654321", big.NewInt(1234567890987654321)},
		{"-12", big.NewInt(-12)},
		{"-(2^200)", new(big.Int).Neg(two200)},
		{"2^64", two64},
	}
	for _, b := range bigs {
		push("BigInt "+b.name, bigInt(b.v), b.v.String())
	}

	// loop.ReportTimestamp: the median data-source fixture's timestamp.
	rts, rtsV := reportTimestamp(digest(1, 7, 31, 3), 79, 17)
	push("ReportTimestamp datasource", rts, rtsV)

	// loop.ReportTimestamp: the reporting-plugin fixture's timestamp.
	rts2, rts2V := reportTimestamp(digest(2, 10, 12, 16), 88, 74)
	push("ReportTimestamp reportingplugin", rts2, rts2V)

	// loop.ReportingPluginConfig
	{
		m := newMsg("loop.ReportingPluginConfig")
		cd := make([]byte, 32)
		on, off := sparse(17, 11), sparse(32, 64)
		durs := []struct {
			field string
			d     time.Duration
		}{
			{"estimatedRoundInterval", time.Second},
			{"maxDurationQuery", time.Hour},
			{"maxDurationObservation", time.Millisecond},
			{"maxDurationReport", time.Microsecond},
			{"maxDurationShouldAcceptFinalizedReport", 10 * time.Second},
			{"maxDurationShouldTransmitAcceptedReport", time.Minute},
		}
		set(m, "configDigest", cd)
		set(m, "oracleID", uint32(10))
		set(m, "n", uint32(12))
		set(m, "f", uint32(42))
		set(m, "onchainConfig", on)
		set(m, "offchainConfig", off)
		value := obj{
			{"configDigest", h(cd)}, {"oracleID", 10}, {"n", 12}, {"f", 42},
			{"onchainConfig", h(on)}, {"offchainConfig", h(off)},
		}
		for _, d := range durs {
			set(m, d.field, int64(d.d))
			value = append(value, kv{d.field, ns(d.d)})
		}
		push("ReportingPluginConfig", m, value)
	}

	// loop.RelayArgs / loop.PluginArgs: the relayer fixture.
	{
		jobID := uuid.MustParse("1051429b-aa66-11ed-b0d2-5cff35dfbe67")
		rc := sparse(42, 11)
		m := newMsg("loop.RelayArgs")
		set(m, "externalJobID", jobID[:])
		set(m, "jobID", int32(123))
		set(m, "contractID", "testcontract")
		set(m, "new", true)
		set(m, "relayConfig", rc)
		set(m, "providerType", "median")
		push("RelayArgs", m, obj{
			{"externalJobID", h(jobID[:])}, {"externalJobIDUUID", jobID.String()},
			{"jobID", 123}, {"contractID", "testcontract"}, {"new", true},
			{"relayConfig", h(rc)}, {"providerType", "median"},
		})

		pc := sparse(100, 88)
		p := newMsg("loop.PluginArgs")
		set(p, "transmitterID", "testtransmitter")
		set(p, "pluginConfig", pc)
		push("PluginArgs", p, obj{{"transmitterID", "testtransmitter"}, {"pluginConfig", h(pc)}})
	}

	// loop.ContractConfig: the OCR2 provider fixture.
	{
		cd := digest(1, 7, 13, 11, 31, 23)
		signer := sparse(15, 1)
		on := []byte{2: 11, 14: 22, 31: 1}
		off := []byte{1: 99, 12: 55}
		m := newMsg("loop.ContractConfig")
		set(m, "configDigest", cd)
		set(m, "configCount", uint64(42))
		add(m, "signers", signer)
		add(m, "transmitters", "foo", "bar")
		set(m, "F", uint32(11))
		set(m, "onchainConfig", on)
		set(m, "offchainConfigVersion", uint64(2))
		set(m, "offchainConfig", off)
		push("ContractConfig", m, obj{
			{"configDigest", h(cd)}, {"configCount", "42"}, {"signers", []string{h(signer)}},
			{"transmitters", []string{"foo", "bar"}}, {"F", 11}, {"onchainConfig", h(on)},
			{"offchainConfigVersion", "2"}, {"offchainConfig", h(off)},
		})
	}

	// loop.AttributedOnchainSignature
	{
		sig := []byte{9: 8, 7: 6}
		m := newMsg("loop.AttributedOnchainSignature")
		set(m, "signature", sig)
		set(m, "signer", uint32(54))
		push("AttributedOnchainSignature", m, obj{{"signature", h(sig)}, {"signer", 54}})
	}

	// loop.ParsedAttributedObservation
	{
		m := newMsg("loop.ParsedAttributedObservation")
		set(m, "timestamp", uint32(123))
		set(m, "value", bigInt(big.NewInt(31)))
		set(m, "julesPerFeeCoin", bigInt(big.NewInt(54)))
		set(m, "observer", uint32(99))
		set(m, "gasPriceSubunits", bigInt(big.NewInt(77)))
		push("ParsedAttributedObservation", m, obj{
			{"timestamp", 123}, {"value", "31"}, {"julesPerFeeCoin", "54"}, {"observer", 99}, {"gasPriceSubunits", "77"},
		})
	}

	// loop.ReportContext: the contract-transmitter fixture.
	{
		ts, tsV := reportTimestamp(digest(1, 7, 13, 11, 31, 23), 88, 74)
		eh := digest(1, 3, 3, 5, 7, 11)
		m := newMsg("loop.ReportContext")
		set(m, "reportTimestamp", ts)
		set(m, "extraHash", eh)
		push("ReportContext", m, obj{{"reportTimestamp", tsV}, {"extraHash", h(eh)}})
	}

	// loop.OnchainConfig: the median onchain-config-codec fixture.
	{
		m := newMsg("loop.OnchainConfig")
		set(m, "min", bigInt(big.NewInt(-12)))
		set(m, "max", bigInt(big.NewInt(1234567890987654321)))
		push("OnchainConfig", m, obj{{"min", "-12"}, {"max", "1234567890987654321"}})
	}

	// codec.VersionedBytes version 2 (CBOR) and the ContractReader messages
	// of the median provider fixture.
	var paramsVB *dynamicpb.Message
	{
		params := map[string]any{"param1": "value1", "param2": "value2"}
		data := cborParams(&params) // the client passes a pointer to the map
		paramsVB = newMsg("codec.VersionedBytes")
		set(paramsVB, "version", uint32(2))
		set(paramsVB, "data", data)
		push("VersionedBytes cbor params", paramsVB, obj{
			{"version", 2}, {"data", h(data)}, {"decoded", params},
		})

		req := newMsg("loop.GetLatestValueRequest")
		set(req, "read_identifier", "0x24-anyContract-anyMethod")
		set(req, "confidence", protoreflect.EnumNumber(0)) // Unconfirmed
		set(req, "params", paramsVB)
		set(req, "as_value_type", false)
		push("GetLatestValueRequest", req, obj{
			{"read_identifier", "0x24-anyContract-anyMethod"}, {"confidence", "Unconfirmed"},
			{"params", obj{{"version", 2}, {"data", h(data)}}}, {"as_value_type", false},
		})

		ret := map[string]any{"ret1": "latestValue1", "ret2": "latestValue2"}
		retData := cborParams(&ret)
		retVB := newMsg("codec.VersionedBytes")
		set(retVB, "version", uint32(2))
		set(retVB, "data", retData)
		rep := newMsg("loop.GetLatestValueReply")
		set(rep, "ret_val", retVB)
		push("GetLatestValueReply", rep, obj{
			{"ret_val", obj{{"version", 2}, {"data", h(retData)}, {"decoded", ret}}},
		})
	}

	// The probes a Go median-provider client sends on a fresh provider
	// connection (UNIMPLEMENTED answers disable ContractReader / Codec):
	// GetLatestValue("", Unconfirmed, params nil) and Codec.Decode of no
	// bytes with item type "".
	{
		var nilParams any
		data := cborParams(nilParams)
		vb := newMsg("codec.VersionedBytes")
		set(vb, "version", uint32(2))
		set(vb, "data", data)
		req := newMsg("loop.GetLatestValueRequest")
		set(req, "params", vb)
		push("GetLatestValueRequest probe", req, obj{
			{"read_identifier", ""}, {"confidence", "Unconfirmed"},
			{"params", obj{{"version", 2}, {"data", h(data)}, {"decoded", nil}}}, {"as_value_type", false},
		})

		dec := newMsg("codec.GetDecodingRequest")
		set(dec, "encoded", []byte{})
		set(dec, "itemType", "")
		set(dec, "wireEncodingVersion", uint32(2))
		push("GetDecodingRequest probe", dec, obj{{"encoded", ""}, {"itemType", ""}, {"wireEncodingVersion", 2}})
	}

	// loop.LatestTransmissionDetailsReply: the median-contract fixture.
	{
		cd := digest(1, 1, 11, 8)
		t := time.Unix(1234567890, 987654321).UTC()
		ts := newMsg("google.protobuf.Timestamp")
		set(ts, "seconds", t.Unix())
		set(ts, "nanos", int32(t.Nanosecond()))
		m := newMsg("loop.LatestTransmissionDetailsReply")
		set(m, "configDigest", cd)
		set(m, "epoch", uint32(7))
		set(m, "round", uint32(11))
		set(m, "latestAnswer", bigInt(big.NewInt(123)))
		set(m, "latestTimestamp", ts)
		push("LatestTransmissionDetailsReply", m, obj{
			{"configDigest", h(cd)}, {"epoch", 7}, {"round", 11}, {"latestAnswer", "123"},
			{"latestTimestamp", obj{{"seconds", strconv.FormatInt(t.Unix(), 10)}, {"nanos", t.Nanosecond()}, {"rfc3339", t.Format(time.RFC3339Nano)}}},
		})
	}

	// loop.LatestRoundRequestedRequest: lookback is a time.Duration in ns.
	{
		lb := time.Minute + 4*time.Second
		m := newMsg("loop.LatestRoundRequestedRequest")
		set(m, "lookback", int64(lb))
		push("LatestRoundRequestedRequest", m, obj{{"lookback", ns(lb)}})
	}

	// Cross-check: each encoding decodes into the generated Go type and
	// re-encodes to the same bytes.
	for _, v := range vs {
		mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(v.Type))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: no generated type %s: %v\n", v.Name, v.Type, err)
			os.Exit(1)
		}
		raw, _ := hex.DecodeString(v.Hex)
		gm := mt.New().Interface()
		if err := proto.Unmarshal(raw, gm); err != nil {
			fmt.Fprintf(os.Stderr, "%s: decode: %v\n", v.Name, err)
			os.Exit(1)
		}
		if got := h(marshal(gm)); got != v.Hex {
			fmt.Fprintf(os.Stderr, "%s: generated type re-encodes to %s, want %s\n", v.Name, got, v.Hex)
			os.Exit(1)
		}
	}

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(vs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
