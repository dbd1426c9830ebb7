package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// object is a JSON object that keeps its keys in insertion order.
type object struct {
	keys []string
	vals map[string]interface{}
}

func newObject() *object {
	return &object{vals: map[string]interface{}{}}
}

func (o *object) set(k string, v interface{}) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *object) get(k string) interface{} { return o.vals[k] }

func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Len()
}

// logCapture receives the host logger's JSON lines (optionally mirroring
// them to another writer) and turns them back into entries.
type logCapture struct {
	lockedBuffer
	mirror io.Writer
}

func (c *logCapture) Write(p []byte) (int, error) {
	if c.mirror != nil {
		_, _ = c.mirror.Write(p)
	}
	return c.lockedBuffer.Write(p)
}

// containsSince reports whether the captured output from byte offset from
// contains s.
func (c *logCapture) containsSince(from int, s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Contains(c.buf.Bytes()[from:], []byte(s))
}

// entries parses the captured lines starting at byte offset from.
func (c *logCapture) entries(from int) []*object {
	c.mu.Lock()
	data := append([]byte(nil), c.buf.Bytes()[from:]...)
	c.mu.Unlock()

	out := []*object{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var raw map[string]interface{}
		if err := json.Unmarshal(line, &raw); err != nil {
			e := newObject()
			e.set("level", "unparsed")
			e.set("name", "")
			e.set("msg", string(line))
			e.set("args", map[string]interface{}{})
			out = append(out, e)
			continue
		}
		e := newObject()
		e.set("level", str(raw["@level"]))
		e.set("name", str(raw["@module"]))
		e.set("msg", str(raw["@message"]))
		args := map[string]interface{}{}
		for k, v := range raw {
			switch k {
			case "@level", "@module", "@message", "@timestamp", "@caller":
				continue
			}
			args[k] = v
		}
		e.set("args", args)
		out = append(out, e)
	}
	return out
}

func str(v interface{}) string {
	s, _ := v.(string)
	return s
}

func ms(d time.Duration) float64 {
	return round1(float64(d) / float64(time.Millisecond))
}

func us(d time.Duration) float64 {
	return round1(float64(d) / float64(time.Microsecond))
}

func round1(f float64) float64 {
	return math.Round(f*10) / 10
}

// percentile returns the p-th percentile (0..100) of sorted using the
// nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(sorted) {
		rank = len(sorted)
	}
	return sorted[rank-1]
}

func sortDurations(d []time.Duration) []time.Duration {
	out := append([]time.Duration(nil), d...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// errorList collects scenario errors.
type errorList struct {
	mu   sync.Mutex
	errs []string
}

// add records "what: err" when err is not nil.
func (e *errorList) add(what string, err error) {
	if err == nil {
		return
	}
	e.addf(what + ": " + err.Error())
}

func (e *errorList) addf(msg string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.errs = append(e.errs, msg)
}

func (e *errorList) empty() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.errs) == 0
}

func (e *errorList) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.errs, "; ")
}
