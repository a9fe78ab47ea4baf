// systemd's notify protocol (sd_notify, libsystemd): READY=1 once the daemon serves, STATUS= lines, WATCHDOG=1
// pings from the engine loop's thread (so a stuck engine misses them and systemd restarts the service), STOPPING=1
// on SIGTERM. Without NOTIFY_SOCKET in the environment (not started by systemd with Type=notify) every call does
// nothing. docs/systemd.md describes the unit.
//
// Thread rule: safe from any thread.
#pragma once

#include <string>

#include "incidentd/clock.h"

namespace incidentd::server {

void NotifyReady(const std::string& status);
void NotifyStatus(const std::string& status);
void NotifyStopping();
// RELOADING=1 (with MONOTONIC_USEC, as Type=notify-reload wants); READY=1 follows once the reload is done.
void NotifyReloading();
void NotifyWatchdog();
// How often systemd expects WATCHDOG=1 (WatchdogSec=); 0 when the watchdog is off.
Duration WatchdogInterval();

}  // namespace incidentd::server
