Feature: Add a joint holder
  As a current account holder
  I want to add my partner as a joint holder
  So that we can both pay the household bills from one balance

  Scenario: Invite a partner
    Given I am the only holder of the "Household" current account
    When I invite my partner from the app
    Then my partner gets an invitation that is valid for 14 days

  Scenario: Both holders see the same balance
    Given my partner accepted the invitation
    When either of us opens the app
    Then we both see the "Household" account and its balance

  Scenario: Removing a holder needs both holders
    Given the "Household" account has two holders
    When one of us asks to remove the other
    Then the change waits until the other holder agrees to it
