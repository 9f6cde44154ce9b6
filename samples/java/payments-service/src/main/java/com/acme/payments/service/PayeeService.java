package com.acme.payments.service;

import com.acme.payments.domain.Payee;
import com.acme.payments.domain.StandingOrderStatus;
import com.acme.payments.exception.ConflictException;
import com.acme.payments.exception.ResourceNotFoundException;
import com.acme.payments.repository.PayeeRepository;
import com.acme.payments.repository.StandingOrderRepository;
import com.acme.payments.web.dto.CreatePayeeRequest;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.util.List;
import java.util.UUID;

/**
 * Manages the payees saved on an account.
 */
@Service
@Transactional
public class PayeeService {

    private static final List<StandingOrderStatus> LIVE = List.of(StandingOrderStatus.ACTIVE, StandingOrderStatus.PAUSED);

    private final PayeeRepository payees;
    private final StandingOrderRepository standingOrders;
    private final AccountService accountService;
    private final PaymentReferenceValidator referenceValidator;

    public PayeeService(PayeeRepository payees, StandingOrderRepository standingOrders,
                        AccountService accountService, PaymentReferenceValidator referenceValidator) {
        this.payees = payees;
        this.standingOrders = standingOrders;
        this.accountService = accountService;
        this.referenceValidator = referenceValidator;
    }

    /**
     * Saves a new payee on an account.
     *
     * @param accountId the account that will pay the payee
     * @param request   the payee details
     * @return the saved payee
     * @throws ConflictException when the account already has a payee with that destination
     */
    public Payee addPayee(UUID accountId, CreatePayeeRequest request) {
        accountService.getAccount(accountId);
        String sortCode = request.sortCode().replace("-", "");
        if (payees.existsByAccountIdAndSortCodeAndAccountNumber(accountId, sortCode, request.accountNumber())) {
            throw new ConflictException("DUPLICATE_PAYEE", "a payee with these bank details already exists");
        }
        String reference = referenceValidator.normalise(request.reference());
        Payee payee = new Payee(accountId, request.name().trim(), sortCode, request.accountNumber(), reference);
        return payees.save(payee);
    }

    /**
     * Loads one payee of an account.
     *
     * @param accountId the owning account
     * @param payeeId   the payee id
     * @return the payee
     */
    @Transactional(readOnly = true)
    public Payee getPayee(UUID accountId, UUID payeeId) {
        return payees.findByIdAndAccountId(payeeId, accountId)
                .orElseThrow(() -> new ResourceNotFoundException("payee", payeeId));
    }

    /**
     * The payees of an account in name order.
     *
     * @param accountId the owning account
     * @return the payees
     */
    @Transactional(readOnly = true)
    public List<Payee> listPayees(UUID accountId) {
        accountService.getAccount(accountId);
        return payees.findByAccountIdOrderByNameAsc(accountId);
    }

    /**
     * Renames a payee; a renamed payee must be confirmed again.
     *
     * @param accountId the owning account
     * @param payeeId   the payee id
     * @param name      the new name
     * @return the renamed payee
     */
    public Payee renamePayee(UUID accountId, UUID payeeId, String name) {
        Payee payee = getPayee(accountId, payeeId);
        payee.setName(name.trim());
        payee.confirmName(null);
        return payee;
    }

    /**
     * Deletes a payee that no live standing order still pays.
     *
     * @param accountId the owning account
     * @param payeeId   the payee id
     * @throws ConflictException when an active or paused standing order uses the payee
     */
    public void removePayee(UUID accountId, UUID payeeId) {
        Payee payee = getPayee(accountId, payeeId);
        if (standingOrders.existsByPayeeIdAndStatusIn(payeeId, LIVE)) {
            throw new ConflictException("PAYEE_IN_USE",
                    "cancel the standing orders to " + payee.getName() + " first");
        }
        payees.delete(payee);
    }
}
