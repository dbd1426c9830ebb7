package main

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// scrapeURLs are fetched (GET) after the round, while every plugin still
// runs, before anything is closed; each body lands in result.Scrapes.
var scrapeURLs []string

func scrapeAll(r *runner) {
	if len(scrapeURLs) == 0 {
		return
	}
	r.res.Scrapes = map[string]string{}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, u := range scrapeURLs {
		r.do("scrape", func() (string, error) {
			resp, err := client.Get(u)
			if err != nil {
				return u, err
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				return u, err
			}
			if resp.StatusCode != http.StatusOK {
				return u, fmt.Errorf("HTTP %d", resp.StatusCode)
			}
			r.res.Scrapes[u] = string(body)
			return u, nil
		})
	}
}
