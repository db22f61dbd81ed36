package results

import (
	"github.com/mlsysim/mlsysim/catalog"

	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// LockName is the lock file a writer holds in an output folder. It stays after
// the run (removing it would let a waiting writer and a new one both win); the
// lock itself is the flock on it, which the kernel drops when the process ends.
const LockName = ".mlsysim.lock"

// Holder says who holds a folder's lock; it is written into the lock file.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Command string    `json:"command"`
}

func (h Holder) String() string {
	return fmt.Sprintf("pid %d on %s (%s, started %s)", h.PID, h.Host, h.Command, h.Started.Format(time.RFC3339))
}

// ErrLocked: another process holds the folder's lock.
var ErrLocked = errors.New("in use")

// Lock is a held folder lock; Release it when done.
type Lock struct{ f *os.File }

// Acquire takes dir's lock without waiting, creating dir if needed; command
// (e.g. "sweep") is recorded for whoever finds it taken. A taken lock is an
// error wrapping ErrLocked that names the holder.
func Acquire(dir, command string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open the lock file: %w", dir, err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if !errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("%s: cannot lock %s: %w", dir, LockName, err)
		}
		who := "another process (it has not said who yet)"
		if b, rerr := catalog.ReadInput(path); rerr == nil {
			var h Holder
			if json.Unmarshal(b, &h) == nil && h.PID > 0 {
				who = h.String()
			}
		}
		return nil, fmt.Errorf("%s is %w by %s; wait for it, stop it, or use another folder", dir, ErrLocked, who)
	}
	host, _ := os.Hostname()
	h := Holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC().Truncate(time.Second), Command: command}
	b, _ := json.Marshal(h)
	// Who holds the lock is advice for the next writer; failing to say it does
	// not weaken the lock.
	if f.Truncate(0) == nil {
		f.WriteAt(append(b, '\n'), 0)
	}
	return &Lock{f: f}, nil
}

// Release drops the lock. The holder's details are cleared first, so a
// finished folder's files are the same on every run.
func (l *Lock) Release() {
	if l != nil && l.f != nil {
		l.f.Truncate(0)
		l.f.Close() // closing the descriptor releases the flock
		l.f = nil
	}
}
