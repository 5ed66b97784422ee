"""POST /api/v1/auth/token/: an API token for a username and password."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.schema import error_responses
from accounts.auth import client_address, login_refusal
from command_center.api.exceptions import Locked


class TokenRequestSerializer(serializers.Serializer[dict[str, str]]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token (lockout after repeated failures, by
    username and client address and by address: accounts/auth.py)."""

    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            **error_responses(429),
        },
    )
    def post(self, request):  # type: ignore[no-untyped-def]
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        refusal = login_refusal(username, client_address(request))
        if refusal is not None:
            raise Locked(refusal)
        user = authenticate(request, username=username, password=data.validated_data["password"])
        if user is None:
            return Response({"detail": _("Wrong username or password.")}, status=status.HTTP_400_BAD_REQUEST)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
