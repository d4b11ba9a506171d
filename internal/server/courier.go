package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/courier"
	"github.com/sessiond/sessiond/internal/store"
)

// openCourier builds the courier the configuration asks for: the log
// channel for everything with --courier log; else email by --smtp-url,
// or by the webhook without it, and SMS by the webhook. With none of
// them, no code can be sent and the core refuses the OTP flows as
// restricted.
func openCourier(cfg config.Config, st *store.Stores, log *slog.Logger, now func() time.Time) (*courier.Courier, error) {
	opt := courier.Options{Store: st.Messages, Now: now, Logger: log}
	if cfg.Courier == "log" {
		opt.Email, opt.SMS = courier.Log{Logger: log}, courier.Log{Logger: log}
		return courier.New(opt), nil
	}
	if cfg.CourierWebhookURL != "" {
		hook := courier.Webhook{URL: cfg.CourierWebhookURL, Secret: []byte(cfg.CourierWebhookSecret)}
		opt.Email, opt.SMS = hook, hook
	}
	if cfg.SMTPURL != "" {
		smtp, err := courier.NewSMTP(cfg.SMTPURL, cfg.SMTPFrom, cfg.SMTPTLS)
		if err != nil {
			return nil, fmt.Errorf("courier: %w", err)
		}
		opt.Email = smtp
	}
	return courier.New(opt), nil
}

// runCourier starts the courier's worker and the purge of expired
// one-time codes. Their stop joins the change feed's (stopWatch), which
// every way out of the App runs.
func (a *App) runCourier(c *courier.Courier) {
	for _, col := range c.Collectors() {
		a.metrics.Register(col)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		c.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			if _, err := a.svc.PurgeOTPs(ctx, 1000); err != nil && ctx.Err() == nil {
				a.log.Warn("purging expired one-time codes failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	stopWatch := a.stopWatch
	a.stopWatch = func() { // may run more than once
		cancel()
		wg.Wait()
		stopWatch()
	}
}
