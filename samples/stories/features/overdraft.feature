Feature: Arranged overdraft limit
  As a current account holder
  I want to choose my arranged overdraft limit
  So that a late salary does not make my standing orders fail

  Scenario: Raise the overdraft limit
    Given my current account has an overdraft limit of 0.00 GBP
    When I set the overdraft limit to 500.00 GBP
    Then my available funds go up by 500.00 GBP

  Scenario: Refuse a limit above the maximum
    Given my overdraft limit is 500.00 GBP
    When I set the overdraft limit to 5000.01 GBP
    Then I see the error "overdraft limit must be between 0 and 5000.00"
    And my overdraft limit does not change

  Scenario: Refuse a limit below what is already borrowed
    Given my balance is -300.00 GBP
    When I lower the overdraft limit to 200.00 GBP
    Then the change is refused because the overdraft is in use

  Scenario: Standing order uses the overdraft
    Given my balance is 100.00 GBP and my overdraft limit is 500.00 GBP
    When a standing order of 250.00 GBP is paid
    Then the payment succeeds
    And my balance is -150.00 GBP
