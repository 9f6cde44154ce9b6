package com.acme.payments.web;

import com.acme.payments.domain.Payee;
import com.acme.payments.service.PayeeService;
import com.acme.payments.web.dto.CreatePayeeRequest;
import com.acme.payments.web.dto.PayeeResponse;
import com.acme.payments.web.dto.RenameRequest;
import jakarta.validation.Valid;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * REST endpoints for the payees of an account.
 */
@RestController
@RequestMapping("/accounts/{accountId}/payees")
public class PayeeController {

    private final PayeeService service;

    public PayeeController(PayeeService service) {
        this.service = service;
    }

    /**
     * Lists the payees of an account, optionally only those whose name contains a text.
     *
     * @param accountId the account
     * @param name      optional case-insensitive name filter
     * @return the payees
     */
    @GetMapping
    public List<PayeeResponse> list(@PathVariable UUID accountId,
                                    @RequestParam(required = false) String name) {
        String filter = name == null ? "" : name.toLowerCase(Locale.ROOT);
        return service.listPayees(accountId).stream()
                .filter(payee -> payee.getName().toLowerCase(Locale.ROOT).contains(filter))
                .map(PayeeResponse::from)
                .toList();
    }

    /** Saves a new payee. */
    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    public PayeeResponse add(@PathVariable UUID accountId, @Valid @RequestBody CreatePayeeRequest request) {
        Payee payee = service.addPayee(accountId, request);
        return PayeeResponse.from(payee);
    }

    /** One payee of the account. */
    @GetMapping("/{payeeId}")
    public PayeeResponse get(@PathVariable UUID accountId, @PathVariable UUID payeeId) {
        return PayeeResponse.from(service.getPayee(accountId, payeeId));
    }

    /** Renames a payee. */
    @PatchMapping("/{payeeId}")
    public PayeeResponse rename(@PathVariable UUID accountId, @PathVariable UUID payeeId,
                                @Valid @RequestBody RenameRequest request) {
        return PayeeResponse.from(service.renamePayee(accountId, payeeId, request.name()));
    }

    /** Deletes a payee no standing order uses any more. */
    @DeleteMapping("/{payeeId}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public void remove(@PathVariable UUID accountId, @PathVariable UUID payeeId) {
        service.removePayee(accountId, payeeId);
    }
}
