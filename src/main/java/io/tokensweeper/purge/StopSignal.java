package io.tokensweeper.purge;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Set once when the node shuts down; runs check it between batches and wake from their pause. */
public final class StopSignal {
    private final CountDownLatch stopped = new CountDownLatch(1);

    public void requestStop() {
        stopped.countDown();
    }

    public boolean isStopRequested() {
        return stopped.getCount() == 0;
    }

    /** Sleeps for the pause, or less if a stop is requested meanwhile. */
    public void pause(Duration pause) throws InterruptedException {
        if (!pause.isZero()) {
            stopped.await(pause.toNanos(), TimeUnit.NANOSECONDS);
        }
    }
}
