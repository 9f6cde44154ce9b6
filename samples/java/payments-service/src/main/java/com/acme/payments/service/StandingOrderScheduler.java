package com.acme.payments.service;

import com.acme.payments.domain.Payment;
import com.acme.payments.domain.PaymentStatus;
import com.acme.payments.domain.StandingOrder;
import com.acme.payments.domain.StandingOrderStatus;
import com.acme.payments.repository.StandingOrderRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.LocalDate;
import java.util.List;

/**
 * Runs the daily standing-order batch and sends payment reminders.
 */
@Component
public class StandingOrderScheduler {

    private static final Logger log = LoggerFactory.getLogger(StandingOrderScheduler.class);
    static final int REMINDER_DAYS = 3;

    private final StandingOrderService service;
    private final StandingOrderRepository orders;
    private final NotificationService notifications;
    private final BusinessDayCalendar calendar;
    private final Clock clock;

    public StandingOrderScheduler(StandingOrderService service, StandingOrderRepository orders,
                                  NotificationService notifications, BusinessDayCalendar calendar,
                                  Clock clock) {
        this.service = service;
        this.orders = orders;
        this.notifications = notifications;
        this.calendar = calendar;
        this.clock = clock;
    }

    /**
     * Executes due payments at 06:00 on business days. Orders that fell due over a weekend
     * or holiday are picked up on the next business day.
     *
     * @return how many payments failed, or -1 when today is not a business day
     */
    @Scheduled(cron = "0 0 6 * * *", zone = "Europe/London")
    public int runDailyBatch() {
        LocalDate today = LocalDate.now(clock);
        if (!calendar.isBusinessDay(today)) {
            log.info("{} is not a business day; standing orders wait", today);
            return -1;
        }
        List<Payment> payments = service.executeDuePayments(today);
        long failed = payments.stream().filter(p -> p.getStatus() == PaymentStatus.FAILED).count();
        log.info("standing order batch {}: {} payments, {} failed", today, payments.size(), failed);
        return (int) failed;
    }

    /**
     * Sends reminders for active orders that pay in {@link #REMINDER_DAYS} days.
     *
     * @return how many reminders were sent
     */
    @Scheduled(cron = "0 30 9 * * *", zone = "Europe/London")
    public int sendReminders() {
        LocalDate today = LocalDate.now(clock);
        List<StandingOrder> upcoming = orders.findDue(today.plusDays(REMINDER_DAYS));
        int sent = 0;
        for (StandingOrder order : upcoming) {
            if (order.getStatus() == StandingOrderStatus.ACTIVE
                    && notifications.remindUpcoming(order, today, REMINDER_DAYS)) {
                sent++;
            }
        }
        return sent;
    }
}
